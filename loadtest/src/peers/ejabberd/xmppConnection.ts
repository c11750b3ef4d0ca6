/**
 * One lean XMPP client connection over WebSocket (RFC 7395), for runs that
 * hold very many of them (hundreds of thousands over many processes): SASL
 * PLAIN, resource binding, initial presence, then only what a long-lived idle
 * connection needs.
 *
 * Not @xmpp/client (which the chat bots use): its WebSocket transport calls
 * `new WebSocket(url, ['xmpp'])` with no options, so a connection cannot be
 * bound to a local address (127.0.0.x, to get past one address's ~28,000
 * ephemeral ports towards one server port), and each of its connections
 * carries a streaming XML parser, middleware, stream management, reconnect
 * and IQ handlers. Here a connection is a `ws` WebSocket (no compression, no
 * UTF-8 validation) and one small object. RFC 7395 frames every WebSocket
 * message as one whole XML element, so the few elements it reads are
 * recognised by their start and read with regular expressions.
 *
 * Keepalive: the server's WebSocket pings, answered by `ws` with a pong (no
 * timer here at all). ejabberd pings each connection every
 * `websocket_ping_interval` (set to Muster's socket.io heartbeat, 10 s) and
 * drops one that missed the previous pong, as socket.io does, so the
 * heartbeat costs both servers the same kind of work. RFC 7395 has no room
 * for XMPP's whitespace keepalive (a message is a whole element), and XEP-0199
 * pings from the client would need a timer per connection, or a wheel, and
 * an IQ through the server's session process per beat, more than Muster's
 * transport-level heartbeat costs; `iq()` can still send one
 * (`<ping xmlns="urn:xmpp:ping"/>`) where a round trip is wanted.
 */
import { WebSocket, type RawData } from 'ws';

const FRAMING = 'urn:ietf:params:xml:ns:xmpp-framing';
const OPEN_TIMEOUT_MS = 30_000;
/** Larger than any stanza this client is sent; bounds a single message's buffer. */
const MAX_PAYLOAD = 256 * 1024;

export interface XmppConnectionOptions {
  /** The server's XMPP WebSocket endpoint, e.g. ws://127.0.0.1:5280/ws */
  url: string;
  /** The XMPP domain (virtual host). */
  domain: string;
  user: string;
  password: string;
  resource?: string;
  /** The connection's source address (127.0.0.x), to spread many connections over more ephemeral-port ranges. */
  localAddress?: string;
  /** Connected, signed in and bound within this time, or the open fails (default 30 s). */
  timeoutMs?: number;
  /** A message with a body arrived (a broadcast): its body and sender. */
  onMessage?: (body: string, from: string) => void;
  /** The connection ended without close() (the server dropped it, or the network did). */
  onLost?: (reason: string) => void;
}

export interface XmppConnection {
  /** The bound full JID. */
  readonly jid: string;
  /** Sends one stanza (serialised XML). */
  send(stanza: string): void;
  /** Sends an IQ and resolves with the whole answer (a result or an error stanza); rejects if the connection ends first. */
  iq(type: 'get' | 'set', payload: string, to?: string): Promise<string>;
  /** Closes the stream and the WebSocket; resolves once closed. */
  close(): Promise<void>;
}

/** Server pings this process's connections answered; shared by all of them, so no listener state per connection. */
let heartbeats = 0;
const countHeartbeat = () => {
  heartbeats++;
};
export const heartbeatsAnswered = (): number => heartbeats;

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const XML_UNESCAPES: Record<string, string> = Object.fromEntries(Object.entries(XML_ESCAPES).map(([c, e]) => [e, c]));
export const escapeXml = (text: string): string => text.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);
const unescapeXml = (text: string): string => text.replace(/&(?:amp|lt|gt|quot|apos);/g, (e) => XML_UNESCAPES[e]!);
const ATTRIBUTES = { from: /^<[^>]*?\sfrom=(['"])(.*?)\1/, id: /^<[^>]*?\sid=(['"])(.*?)\1/, type: /^<[^>]*?\stype=(['"])(.*?)\1/ };
/** An attribute of an element's start tag (either quote). */
const attr = (element: string, name: keyof typeof ATTRIBUTES): string | undefined => ATTRIBUTES[name].exec(element)?.[2];

const openElement = (domain: string) => `<open xmlns="${FRAMING}" to="${escapeXml(domain)}" version="1.0"/>`;

type Step = 'features' | 'auth' | 'restart' | 'bind' | 'online' | 'closed';

class LeanXmppConnection implements XmppConnection {
  jid = '';
  readonly #ws: WebSocket;
  readonly #o: XmppConnectionOptions;
  #step: Step = 'features';
  #closing = false;
  #iqs: Map<string, { resolve: (stanza: string) => void; reject: (error: Error) => void }> | null = null;
  #nextIq = 0;
  #opened: { resolve: (c: XmppConnection) => void; reject: (e: Error) => void; timer: NodeJS.Timeout } | null;

  constructor(o: XmppConnectionOptions, resolve: (c: XmppConnection) => void, reject: (e: Error) => void) {
    this.#o = o;
    this.#opened = { resolve, reject, timer: setTimeout(() => this.#fail(`no session within ${(o.timeoutMs ?? OPEN_TIMEOUT_MS) / 1000} s`), o.timeoutMs ?? OPEN_TIMEOUT_MS) };
    this.#ws = new WebSocket(o.url, 'xmpp', {
      perMessageDeflate: false,
      skipUTF8Validation: true,
      maxPayload: MAX_PAYLOAD,
      ...(o.localAddress ? { localAddress: o.localAddress } : {}),
    });
    this.#ws.on('open', () => this.#ws.send(openElement(o.domain)));
    this.#ws.on('message', (data: RawData) => this.#receive(data.toString()));
    this.#ws.on('ping', countHeartbeat);
    this.#ws.on('error', (error: Error) => this.#fail(error.message));
    this.#ws.on('close', (code: number) => this.#fail(`closed (${code})`));
  }

  send(stanza: string): void {
    this.#ws.send(stanza);
  }

  iq(type: 'get' | 'set', payload: string, to?: string): Promise<string> {
    const id = `q${this.#nextIq++}`;
    this.#iqs ??= new Map();
    return new Promise((resolve, reject) => {
      if (this.#step === 'closed') return reject(new Error(`XMPP connection for ${this.#o.user} is closed`));
      this.#iqs!.set(id, { resolve, reject });
      this.#ws.send(`<iq type="${type}" id="${id}"${to ? ` to="${escapeXml(to)}"` : ''}>${payload}</iq>`);
    });
  }

  close(): Promise<void> {
    if (this.#step === 'closed') return Promise.resolve();
    this.#closing = true;
    return new Promise((resolve) => {
      this.#ws.once('close', () => resolve());
      // The stream's end, then the WebSocket's closing handshake (ws ends the socket itself should the server not answer).
      if (this.#ws.readyState === WebSocket.OPEN) this.#ws.send(`<close xmlns="${FRAMING}"/>`);
      this.#ws.close(1000);
    });
  }

  #receive(element: string): void {
    if (this.#step === 'online') {
      if (element.startsWith('<message')) {
        const body = /<body(?:\s[^>]*)?>([^<]*)<\/body>/.exec(element)?.[1];
        if (body !== undefined) this.#o.onMessage?.(unescapeXml(body), attr(element, 'from') ?? '');
      } else if (element.startsWith('<iq')) this.#answerIq(element);
      else if (element.startsWith('<close') || element.startsWith('<stream:error')) {
        // The server's answer to our <close/>, or the server ending the stream: then the connection is lost.
        if (this.#closing) this.#ws.close(1000);
        else this.#fail(`stream closed by the server: ${element.slice(0, 200)}`);
      }
      return;
    }
    if (element.startsWith('<open')) return;
    if (element.startsWith('<close') || element.startsWith('<stream:error')) return this.#fail(`stream closed by the server: ${element.slice(0, 200)}`);
    switch (this.#step) {
      case 'features':
        if (!element.includes('>PLAIN<')) return this.#fail(`the server offers no SASL PLAIN: ${element.slice(0, 300)}`);
        this.#step = 'auth';
        this.#ws.send(`<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="PLAIN">${Buffer.from(`\0${this.#o.user}\0${this.#o.password}`).toString('base64')}</auth>`);
        return;
      case 'auth':
        if (!element.startsWith('<success')) return this.#fail(`sign-in refused: ${element.slice(0, 200)}`);
        this.#step = 'restart';
        this.#ws.send(openElement(this.#o.domain));
        return;
      case 'restart':
        this.#step = 'bind';
        this.#ws.send(`<iq type="set" id="bind"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind">${this.#o.resource ? `<resource>${escapeXml(this.#o.resource)}</resource>` : ''}</bind></iq>`);
        return;
      case 'bind': {
        const jid = /<jid>([^<]+)<\/jid>/.exec(element)?.[1];
        if (!element.startsWith('<iq') || attr(element, 'type') !== 'result' || !jid) return this.#fail(`resource binding refused: ${element.slice(0, 200)}`);
        this.jid = unescapeXml(jid);
        this.#step = 'online';
        // Available, as a client is once signed in (messages to the bare JID then reach it).
        this.#ws.send('<presence/>');
        clearTimeout(this.#opened!.timer);
        this.#opened!.resolve(this);
        this.#opened = null;
      }
    }
  }

  /** Answers to our IQs; an IQ request from the server gets the error a client without that feature owes it. */
  #answerIq(element: string): void {
    const id = attr(element, 'id') ?? '';
    const type = attr(element, 'type');
    if (type === 'result' || type === 'error') {
      this.#iqs?.get(id)?.resolve(element);
      this.#iqs?.delete(id);
      return;
    }
    const from = attr(element, 'from');
    this.#ws.send(`<iq type="error" id="${escapeXml(id)}"${from ? ` to="${escapeXml(from)}"` : ''}><error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`);
  }

  /** An open that fails rejects; a connection lost later is reported once (not one closed on purpose). */
  #fail(reason: string): void {
    if (this.#step === 'closed') return;
    this.#step = 'closed';
    if (this.#ws.readyState !== WebSocket.CLOSED) this.#ws.terminate();
    for (const { reject } of this.#iqs?.values() ?? []) reject(new Error(`XMPP connection for ${this.#o.user}: ${reason}`));
    this.#iqs = null;
    if (this.#opened) {
      clearTimeout(this.#opened.timer);
      this.#opened.reject(new Error(`XMPP connection for ${this.#o.user}: ${reason}`));
      this.#opened = null;
    } else if (!this.#closing) this.#o.onLost?.(reason);
  }
}

/** Opens one connection: resolves once it is signed in, bound and available. */
export function openXmppConnection(options: XmppConnectionOptions): Promise<XmppConnection> {
  return new Promise((resolve, reject) => new LeanXmppConnection(options, resolve, reject));
}
