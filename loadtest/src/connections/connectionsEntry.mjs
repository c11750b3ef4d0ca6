// Bot processes are forked from plain JS so they run the TypeScript sources under any parent loader.
import { register } from 'tsx/esm/api';

register();
await import('./connectionsBotProcess.ts');
