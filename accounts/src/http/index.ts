export { accountsApi, accountErrors, bearerToken, namesFromCsv, readPrincipal, type AccountsApiOptions } from './accountsApi.ts';
export { registerAccountsOpenApi } from './accountsOpenApi.ts';
