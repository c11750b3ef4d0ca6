export { contactsApi } from './contactsApi.ts';
export { registerImOpenApi } from './imOpenApi.ts';
