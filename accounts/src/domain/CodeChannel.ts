import type { Logger } from '@muster/kit/log';
import { AccountError } from '../errors.ts';
import type { CodePurpose } from '../protocol.ts';
import { lastFour } from './phone.ts';

export interface CodeDelivery {
  /** E.164. */
  phone: string;
  code: string;
  purpose: CodePurpose;
  expiresAt: number;
}

/** How a one-time code reaches its person: SMS gateway, the server log, later a voice call. */
export interface CodeChannel {
  readonly name: string;
  /** Rejects (CODE_DELIVERY_FAILED) when the code could not be handed over. */
  deliver(delivery: CodeDelivery): Promise<void>;
}

export interface PendingCode {
  /** E.164: the console is for admins. */
  phone: string;
  purpose: CodePurpose;
  code: string;
  expiresAt: number;
}

type CodeListener = (delivery: PendingCode) => void;

/**
 * For development and closed networks without SMS: the code goes to the
 * server log, and admins see the pending ones in the console. The log line
 * is a contract (operators grep for it): one line on stdout with the word
 * `code`, the 6 digits and the number's last four digits, never the whole
 * number.
 */
export class LogCodeChannel implements CodeChannel {
  readonly name = 'log';
  readonly #logger: Logger;
  readonly #pending: PendingCode[] = [];
  readonly #listeners = new Set<CodeListener>();
  readonly #max: number;

  constructor(logger: Logger, options: { maxPending?: number } = {}) {
    this.#logger = logger;
    this.#max = options.maxPending ?? 200;
  }

  async deliver(delivery: CodeDelivery): Promise<void> {
    this.#logger.info({ channel: 'log', purpose: delivery.purpose, phoneEnding: lastFour(delivery.phone) }, `accounts: one-time code ${delivery.code} for the number ending ${lastFour(delivery.phone)} (${delivery.purpose})`);
    const pending: PendingCode = { phone: delivery.phone, purpose: delivery.purpose, code: delivery.code, expiresAt: delivery.expiresAt };
    // A newer code for the same number and purpose replaces the older (only the newest works).
    const index = this.#pending.findIndex((p) => p.phone === delivery.phone && p.purpose === delivery.purpose);
    if (index >= 0) this.#pending.splice(index, 1);
    this.#pending.push(pending);
    if (this.#pending.length > this.#max) this.#pending.shift();
    for (const listener of this.#listeners) listener(pending);
  }

  /** Codes not yet expired, newest first (the admin console). */
  pending(now = Date.now()): PendingCode[] {
    return this.#pending.filter((p) => p.expiresAt > now).reverse();
  }

  /** Called for every code delivered (tests read codes here, as a person reads the log). */
  onCode(listener: CodeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

export interface HttpCodeChannelOptions {
  /** The organisation's SMS gateway (`SMS_GATEWAY_URL`). */
  url: string;
  /**
   * The body, with `{{phone}}`, `{{code}}`, `{{purpose}}` and `{{minutes}}`
   * replaced (`SMS_GATEWAY_BODY`); values are JSON-escaped for a JSON body
   * and form-encoded for a form body.
   */
  bodyTemplate: string;
  /** `SMS_GATEWAY_CONTENT_TYPE`, default application/json. */
  contentType?: string;
  /** `SMS_GATEWAY_AUTHORIZATION`: the Authorization header, if the gateway wants one. */
  authorization?: string;
  timeoutMs?: number;
}

export const DEFAULT_SMS_BODY = '{"to":"{{phone}}","text":"Your Muster code is {{code}}. It expires in {{minutes}} minutes."}';

/** POSTs each code to an SMS gateway the organisation runs or contracts. */
export class HttpCodeChannel implements CodeChannel {
  readonly name = 'http';
  readonly #options: Required<Omit<HttpCodeChannelOptions, 'authorization'>> & { authorization?: string };
  readonly #logger: Logger;

  constructor(options: HttpCodeChannelOptions, logger: Logger) {
    const url = new URL(options.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`SMS_GATEWAY_URL must be http(s), got ${url.protocol}`);
    this.#options = { contentType: 'application/json', timeoutMs: 10_000, ...options };
    this.#logger = logger;
  }

  async deliver(delivery: CodeDelivery): Promise<void> {
    const json = /json/i.test(this.#options.contentType);
    const values: Record<string, string> = {
      phone: delivery.phone,
      code: delivery.code,
      purpose: delivery.purpose,
      minutes: String(Math.max(1, Math.round((delivery.expiresAt - Date.now()) / 60_000))),
    };
    const body = this.#options.bodyTemplate.replace(/\{\{(\w+)\}\}/g, (whole, name: string) => {
      const value = values[name];
      if (value === undefined) return whole;
      return json ? JSON.stringify(value).slice(1, -1) : encodeURIComponent(value);
    });
    const headers: Record<string, string> = { 'content-type': this.#options.contentType };
    if (this.#options.authorization) headers.authorization = this.#options.authorization;
    let status = 0;
    try {
      const response = await fetch(this.#options.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.#options.timeoutMs) });
      status = response.status;
      await response.arrayBuffer().catch(() => undefined);
    } catch (error) {
      this.#logger.error({ channel: 'http', err: error, phoneEnding: lastFour(delivery.phone) }, 'accounts: the SMS gateway did not answer');
      throw new AccountError('CODE_DELIVERY_FAILED', 'the code could not be sent; try again later');
    }
    if (status < 200 || status >= 300) {
      this.#logger.error({ channel: 'http', status, phoneEnding: lastFour(delivery.phone) }, 'accounts: the SMS gateway refused the code');
      throw new AccountError('CODE_DELIVERY_FAILED', 'the code could not be sent; try again later');
    }
  }
}

/** `CODE_CHANNEL` = log (default) or http (with SMS_GATEWAY_*). */
export function codeChannelFromEnv(env: NodeJS.ProcessEnv, logger: Logger): CodeChannel {
  const kind = env.CODE_CHANNEL ?? 'log';
  if (kind === 'log') return new LogCodeChannel(logger);
  if (kind === 'http') {
    if (!env.SMS_GATEWAY_URL) throw new Error('CODE_CHANNEL=http needs SMS_GATEWAY_URL');
    return new HttpCodeChannel(
      { url: env.SMS_GATEWAY_URL, bodyTemplate: env.SMS_GATEWAY_BODY ?? DEFAULT_SMS_BODY, contentType: env.SMS_GATEWAY_CONTENT_TYPE, authorization: env.SMS_GATEWAY_AUTHORIZATION },
      logger,
    );
  }
  throw new Error(`CODE_CHANNEL must be log or http, got "${kind}"`);
}
