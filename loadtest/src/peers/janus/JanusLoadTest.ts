import { runLoadTest, type LoadTestOptions, type LoadTestReport } from '../../LoadTest.ts';
import { DEBUG_LEVEL, RTP_PORT_RANGE, ROOM_SETTINGS } from './JanusConfig.ts';
import { JANUS_BINARY, JanusServer } from './JanusServer.ts';

/** The calls-scenario options a Janus run takes: Muster's, without a server to choose, and Janus's one tuning knob. */
export type JanusLoadTestOptions = Omit<LoadTestOptions, 'scenario' | 'url' | 'workers' | 'peer' | 'rooms' | 'roomSize'> & {
  /** Janus's `event_loops` (0: its default, a thread per handle). */
  eventLoops: number;
};

/** A Muster calls report (same fields, same meaning) of a run against Janus, and what Janus ran with. */
export interface JanusReport extends LoadTestReport {
  target: 'janus';
  janus: {
    version: string;
    binary: string;
    transport: 'websockets';
    plugin: 'janus.plugin.videoroom';
    /** The address Janus gathered its ICE candidates on. */
    mediaAddress: string;
    rtpPortRange: string;
    debugLevel: number;
    /** `event_loops`: 0 is a loop (thread) per handle, Janus's default. */
    eventLoops: number;
    /** The settings of each call's room, as the bots create it. */
    room: typeof ROOM_SETTINGS;
    /** File name → content: the configuration Janus ran with. */
    config: Record<string, string>;
    /** Janus's warnings and errors in the run (the last ones), but for the expected (EXPECTED_LOG_LINES). */
    logProblems: string[];
  };
}

const LOG_PROBLEM_LINES = 20;

/** What Janus logs in every run, by design of the adapter. */
const EXPECTED_LOG_LINES = [
  // At start-up: the bots offer no .local candidates.
  /mDNS resolution disabled/,
  // Each call's second bot to create the room finds it made.
  /Room .* already exists/,
  // The bots' peers also offer a 127.0.0.1 candidate, which Janus, gathering on the host's address only, does not add.
  /Failed to add some remote candidates/,
];

/**
 * Runs the calls scenario against a Janus started for the run (VideoRoom,
 * WebSocket transport, configuration generated into a temporary directory),
 * with the same bots, ramp, sampling and summary as a Muster run, and stops
 * it afterwards. Janus's CPU is its process's, from /proc; the packets it
 * forwarded are the ones the subscribers received.
 */
export async function runJanusLoadTest({ eventLoops, ...options }: JanusLoadTestOptions): Promise<JanusReport> {
  const janus = await JanusServer.start(eventLoops);
  try {
    const report = await runLoadTest({
      ...options,
      scenario: 'calls',
      rooms: 1,
      roomSize: 2,
      peer: { name: 'janus', url: janus.url, processes: [{ pid: janus.pid, role: 'janus' }] },
    });
    return {
      ...report,
      target: 'janus',
      janus: {
        version: janus.version,
        binary: JANUS_BINARY,
        transport: 'websockets',
        plugin: 'janus.plugin.videoroom',
        mediaAddress: janus.config.mediaAddress,
        rtpPortRange: RTP_PORT_RANGE,
        debugLevel: DEBUG_LEVEL,
        eventLoops,
        room: ROOM_SETTINGS,
        config: janus.config.files,
        logProblems: janus
          .log()
          .split('\n')
          .filter((line) => /^\[(WARN|ERR|FATAL)\]/.test(line) && !EXPECTED_LOG_LINES.some((expected) => expected.test(line)))
          .slice(-LOG_PROBLEM_LINES),
      },
    };
  } finally {
    await janus.stop();
  }
}
