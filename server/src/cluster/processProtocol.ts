/**
 * What the supervisor and its children say over their IPC channels (one
 * host's process tree). Both ends are our own code from one build, so these
 * are types, not schemas: nothing from outside the host travels here.
 */

/** Supervisor → child. */
export type SupervisorMessage =
  /**
   * A gateway: accept connections on the host's public listening socket (its
   * handle travels with the message: a copy of the supervisor's, which stays
   * open there). `n` numbers the supervisor's commands to this gateway, so
   * that a report sent before a command was seen is not taken for its answer.
   */
  | { t: 'listen'; n: number }
  /** A gateway: stop accepting (close its copy of the listening socket); the connections it holds stay. */
  | { t: 'pause'; n: number }
  /** A gateway: the app now listens here (it was started again). */
  | { t: 'app'; url: string }
  /** Any child: stop gracefully and exit. */
  | { t: 'stop' };

/** Child → supervisor. */
export type ChildMessage =
  /**
   * Started; the app also says where it listens (loopback). A gateway says
   * how many connections it takes at most (`ceiling`: past its cap, while it
   * is the only one accepting; it stops by itself there).
   */
  | { t: 'ready'; port?: number; ceiling?: number }
  /**
   * A gateway's load: the client connections (and pass-through tunnels) it
   * holds, and whether it accepts new ones, as of the supervisor's command
   * `ack` (0: none yet). Sent twice a second, and at once when it reaches its
   * cap or its ceiling, or falls back below the point where it may accept again.
   */
  | { t: 'load'; connections: number; accepting: boolean; ack: number };
