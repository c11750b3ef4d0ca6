export { imApi } from './imApi.ts';
export { contactsApi } from './contactsApi.ts';
export { conversationsApi } from './conversationsApi.ts';
export { syncApi } from './syncApi.ts';
export { registerImOpenApi } from './imOpenApi.ts';
export { groupsApi } from './groupsApi.ts';
