import type { JanusMessage, JanusSession, Jsep } from './JanusSession.ts';

/** What a plugin answered: its data and, for negotiations, the SDP. */
export interface PluginReply {
  data: Record<string, unknown>;
  jsep?: Jsep;
}

/** A handle on a Janus plugin within a session: one peer connection's signalling. */
export class JanusHandle {
  readonly id: number;
  readonly #session: JanusSession;
  /** What Janus sends this handle unasked (plugin events, webrtcup, hangup…); replace it to listen. */
  onEvent: (message: JanusMessage) => void = () => undefined;

  constructor(session: JanusSession, id: number) {
    this.#session = session;
    this.id = id;
  }

  /** Sends a plugin request (with an SDP when it negotiates) and resolves to the plugin's reply. */
  async message(body: Record<string, unknown>, jsep?: Jsep): Promise<PluginReply> {
    const reply = await this.#session.request({ janus: 'message', handle_id: this.id, body, ...(jsep ? { jsep } : {}) });
    return { data: reply.plugindata?.data ?? {}, jsep: reply.jsep };
  }
}
