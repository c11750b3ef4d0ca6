import { render } from 'preact';
import './styles.css';
import { startAccount } from './account/session.ts';
import { App } from './app/App.tsx';
import { startPwa } from './pwa/start.ts';

startAccount();
// The installable app: service worker, offline chats, media cache expiry (pwa/).
startPwa();
render(<App />, document.getElementById('app')!);
