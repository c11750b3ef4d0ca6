import { render } from 'preact';
import './styles.css';
import { App } from './app/App.tsx';

render(<App />, document.getElementById('app')!);
