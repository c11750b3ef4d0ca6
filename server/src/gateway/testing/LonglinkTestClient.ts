import { WebSocket } from 'ws';
import { LONGLINK_PATH, LONGLINK_VERSION, type ServerFrame } from '@muster/kit/longlink';

/**
 * A longlink connection for tests, on `ws` as a bot would be: says hello,
 * records every frame, answers requests by id. Raw frames can be sent too
 * (fuzzing).
 */
export class LonglinkTestClient {
  readonly ws: WebSocket;
  readonly frames: ServerFrame[] = [];
  closeCode: number | undefined;
  #nextId = 1;
  readonly #waiting = new Map<number, (frame: ServerFrame) => void>();

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as ServerFrame;
      this.frames.push(frame);
      if (frame.t === 'res') {
        this.#waiting.get(frame.id)?.(frame);
        this.#waiting.delete(frame.id);
      }
    });
    ws.on('close', (code) => (this.closeCode = code));
  }

  /** Connects to `baseUrl` (http://…) without saying hello. */
  static async open(baseUrl: string): Promise<LonglinkTestClient> {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}${LONGLINK_PATH}`, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new LonglinkTestClient(ws);
  }

  /** Connects and says hello; resolves with the welcome (throws with the bye's code when refused). */
  static async signIn(baseUrl: string, token: string): Promise<LonglinkTestClient> {
    const client = await LonglinkTestClient.open(baseUrl);
    client.raw({ t: 'hello', v: LONGLINK_VERSION, token });
    const first = await client.next((f) => f.t === 'welcome' || f.t === 'bye');
    if (first.t === 'bye') throw Object.assign(new Error(first.message), { code: first.code });
    return client;
  }

  raw(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** A request; resolves with its `res` frame. */
  request(event: string, payload?: unknown): Promise<Extract<ServerFrame, { t: 'res' }>> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${event} in 10 s`)), 10_000);
      this.#waiting.set(id, (frame) => {
        clearTimeout(timer);
        resolve(frame as Extract<ServerFrame, { t: 'res' }>);
      });
      this.raw({ t: 'req', id, e: event, d: payload });
    });
  }

  /** The payloads of the events named `event` received so far. */
  events(event: string): unknown[] {
    return this.frames.filter((f): f is Extract<ServerFrame, { t: 'ev' }> => f.t === 'ev' && f.e === event).map((f) => f.d);
  }

  /** The first frame (already received or still to come) that `match`es. */
  next(match: (frame: ServerFrame) => boolean, timeoutMs = 10_000): Promise<ServerFrame> {
    const seen = this.frames.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.ws.off('message', check);
        reject(new Error(`no matching frame in ${timeoutMs} ms; got ${JSON.stringify(this.frames.slice(-5))}`));
      }, timeoutMs);
      const check = () => {
        const frame = this.frames.find(match);
        if (!frame) return;
        clearTimeout(timer);
        this.ws.off('message', check);
        resolve(frame);
      };
      this.ws.on('message', check);
    });
  }

  /** Resolves with the close code once the gateway (or the test) has closed the connection. */
  closed(): Promise<number> {
    if (this.closeCode !== undefined) return Promise.resolve(this.closeCode);
    return new Promise((resolve) => this.ws.once('close', (code) => resolve(code)));
  }

  close(): void {
    this.ws.close();
  }
}
