export { imApi } from './imApi.ts';
export { contactsApi } from './contactsApi.ts';
export { conversationsApi } from './conversationsApi.ts';
export { registerImOpenApi } from './imOpenApi.ts';
