import os from 'node:os';

/** Settings of the media layer; every field has an embedded default so `npm start` needs none. */
export interface MediaConfig {
  /** Number of worker processes; one per CPU core by default. */
  numWorkers: number;
  /** Inclusive UDP port range for ICE. Undefined lets the OS choose. */
  rtcMinPort?: number;
  rtcMaxPort?: number;
  /**
   * One UDP port per worker for all its WebRTC transports (WebRtcServer.ts),
   * inside the RTC port range when one is set. False: a socket per transport
   * and host address, as werift does by itself (RTC_SHARED_PORT=0).
   * Undefined means true.
   */
  sharedPort?: boolean;
  /** Address written into our ICE candidates instead of the local one (server behind NAT). */
  announcedIp?: string;
  /**
   * Where this host's workers' pipe transports bind and are reached, when a
   * room may span them and a media host's workers (loopback when unset: pipes
   * between workers of this host only).
   */
  pipeAddress?: string;
  /**
   * ICE servers handed to clients and to the SFU. Empty by default: a closed
   * network has no STUN server, and werift's public default must never be used.
   */
  iceServers: { urls: string | string[]; username?: string; credential?: string }[];
  /**
   * Extra host addresses the SFU gathers. Loopback is included so that clients on
   * the same machine (tests, a single-host install) connect without any network.
   */
  additionalHostAddresses: string[];
  /**
   * The main process pings each started worker this often (ms; default 1000)
   * and kills one that leaves a ping unanswered for watchdogTimeoutMs
   * (default 5000; 0 turns the watchdog off): a stalled worker is replaced and
   * its rooms moved, as if it had died. Settable for tests.
   */
  watchdogIntervalMs?: number;
  watchdogTimeoutMs?: number;
}

function intEnv(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

/** The UDP port range RTC_MIN_PORT..RTC_MAX_PORT, or undefined when the OS chooses. */
export function rtcPortRange(config: Pick<MediaConfig, 'rtcMinPort' | 'rtcMaxPort'>): [number, number] | undefined {
  return config.rtcMinPort !== undefined && config.rtcMaxPort !== undefined ? [config.rtcMinPort, config.rtcMaxPort] : undefined;
}

export function mediaConfigFromEnv(env: NodeJS.ProcessEnv = process.env): MediaConfig {
  const rtcMinPort = intEnv(env, 'RTC_MIN_PORT');
  const rtcMaxPort = intEnv(env, 'RTC_MAX_PORT');
  if ((rtcMinPort === undefined) !== (rtcMaxPort === undefined)) {
    throw new Error('RTC_MIN_PORT and RTC_MAX_PORT must be set together');
  }
  // werift refuses a range whose ends are equal (and needs a port per ICE
  // socket anyway), so a one-port "range" is rejected here, at start-up,
  // rather than on the first transport.
  if (
    rtcMinPort !== undefined &&
    rtcMaxPort !== undefined &&
    (rtcMinPort < 1 || rtcMinPort >= rtcMaxPort || rtcMaxPort > 65535)
  ) {
    throw new Error(`invalid RTC port range ${rtcMinPort}-${rtcMaxPort}: need 1 <= RTC_MIN_PORT < RTC_MAX_PORT <= 65535`);
  }
  let iceServers: MediaConfig['iceServers'] = [];
  if (env.ICE_SERVERS) {
    try {
      iceServers = JSON.parse(env.ICE_SERVERS);
      if (!Array.isArray(iceServers)) throw new Error('not an array');
      for (const server of iceServers) {
        const urls = (server as { urls?: unknown } | null)?.urls;
        const valid = typeof urls === 'string' || (Array.isArray(urls) && urls.length > 0 && urls.every((u) => typeof u === 'string'));
        if (!valid) throw new Error(`entry without "urls": ${JSON.stringify(server)}`);
      }
    } catch (error) {
      throw new Error(`ICE_SERVERS must be a JSON array of RTCIceServer: ${(error as Error).message}`);
    }
  }
  return {
    numWorkers: intEnv(env, 'MEDIA_WORKERS') || os.availableParallelism(),
    rtcMinPort,
    rtcMaxPort,
    sharedPort: env.RTC_SHARED_PORT !== '0',
    announcedIp: env.ANNOUNCED_IP || undefined,
    iceServers,
    additionalHostAddresses: (env.RTC_ADDITIONAL_HOSTS ?? '127.0.0.1').split(',').map((s) => s.trim()).filter(Boolean),
  };
}
