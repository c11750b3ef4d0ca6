/**
 * What the supervisor and its children say over their IPC channels (one
 * host's process tree). Both ends are our own code from one build, so these
 * are types, not schemas: nothing from outside the host travels here.
 */

/** Supervisor → child. */
export type SupervisorMessage =
  /** A gateway: here is an accepted connection (the socket handle travels with the message). */
  | { t: 'conn' }
  /** A gateway: the app now listens here (it was started again). */
  | { t: 'app'; url: string }
  /** Any child: stop gracefully and exit. */
  | { t: 'stop' };

/** Child → supervisor. */
export type ChildMessage =
  /** Started; the app also says where it listens (loopback). */
  | { t: 'ready'; port?: number }
  /** A gateway's connections, reported twice a second (the supervisor hands new ones to the least loaded). */
  | { t: 'load'; connections: number };
