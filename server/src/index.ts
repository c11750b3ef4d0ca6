/** The app server: everything wired into one process tree (`npm start` runs main.ts). */
export { startMusterServer, type MusterServer } from './server.ts';
export { serverConfigFromEnv, type ServerConfig } from './config.ts';
