// Worker processes are forked from this plain-JS file so that they run our
// TypeScript sources whatever loader (tsx, vitest) the parent was started with.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
