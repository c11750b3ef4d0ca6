// XMPP chat bot processes are forked from plain JS so they run the TypeScript sources under any parent loader (as src/chat/chatEntry.mjs).
import { register } from 'tsx/esm/api';

register();
await import('./xmppChatBotProcess.ts');
