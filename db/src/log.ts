import { log as rootLog, type Logger } from '@muster/kit/log';

/**
 * Where db logs unless it is given a logger: the kit's process logger, as
 * `component: 'db'`. A caller (the server, the CLI, a test) may pass its own
 * kit Logger instead.
 *
 * Never a key password, a data key or a sealed value's plaintext in a line:
 * password settings are named, password files are given by path.
 */
export const log: Logger = rootLog.child({ component: 'db' });
