export { startMusterServer, type MusterServer } from './server.ts';
export { serverConfigFromEnv, type ServerConfig } from './config.ts';
export * from './protocol.ts';
