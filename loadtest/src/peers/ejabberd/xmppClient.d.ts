// @xmpp/client 0.14 ships no types: the part of its API the XMPP chat bots use.
declare module '@xmpp/client' {
  import type { EventEmitter } from 'node:events';

  export interface Element {
    name: string;
    attrs: Record<string, string | undefined>;
    is(name: string, xmlns?: string): boolean;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildText(name: string, xmlns?: string): string | null;
    text(): string;
  }

  export function xml(name: string, attrs?: Record<string, string> | null, ...children: (Element | string)[]): Element;

  export interface StreamManagement extends EventEmitter {
    enabled: boolean;
    /** Milliseconds between a stanza sent and the `<r/>` asking for its acknowledgement. */
    requestAckDebounce: number;
    on(event: 'ack' | 'fail', listener: (stanza: Element) => void): this;
  }

  export interface Client extends EventEmitter {
    start(): Promise<unknown>;
    stop(): Promise<unknown>;
    send(element: Element): Promise<void>;
    streamManagement: StreamManagement;
    iqCaller: { request(stanza: Element, timeoutMs?: number): Promise<Element> };
    on(event: 'stanza', listener: (stanza: Element) => void): this;
    on(event: 'error', listener: (error: Error) => void): this;
    on(event: 'online' | 'offline' | 'disconnect', listener: () => void): this;
  }

  export interface ClientOptions {
    service: string;
    domain: string;
    resource?: string;
    /** Picks the SASL mechanism and gives the credentials. */
    credentials?: (authenticate: (credentials: { username: string; password: string }, mechanism: string) => Promise<void>, mechanisms: string[]) => Promise<void>;
  }

  export function client(options: ClientOptions): Client;
}
