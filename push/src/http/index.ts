export { pushApi } from './pushApi.ts';
export { registerPushOpenApi } from './pushOpenApi.ts';
