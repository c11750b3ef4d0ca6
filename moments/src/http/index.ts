export { momentsApi } from './momentsApi.ts';
export { registerMomentsOpenApi } from './momentsOpenApi.ts';
