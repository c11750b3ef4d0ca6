import { render } from 'preact';
import './styles.css';
import { startAccount } from './account/session.ts';
import { App } from './app/App.tsx';

startAccount();
render(<App />, document.getElementById('app')!);
