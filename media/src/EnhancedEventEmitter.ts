import { EventEmitter } from 'node:events';

/**
 * EventEmitter with a compile-time event map, so a misspelt event name or a
 * wrong listener signature is a type error rather than a silent no-op.
 */
export type EventMap = Record<string, unknown[]>;

export class EnhancedEventEmitter<E extends EventMap> {
  readonly #emitter = new EventEmitter();

  constructor() {
    // Many consumers may observe one producer; the default limit of 10 would
    // print spurious leak warnings in a large meeting.
    this.#emitter.setMaxListeners(Infinity);
  }

  on<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.#emitter.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  once<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.#emitter.once(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.#emitter.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** Emits without letting a throwing listener break the emitter's caller. */
  safeEmit<K extends keyof E & string>(event: K, ...args: E[K]): boolean {
    try {
      return this.#emitter.emit(event, ...args);
    } catch (error) {
      process.emitWarning(`listener for "${event}" threw: ${(error as Error)?.stack ?? error}`);
      return true;
    }
  }

  removeAllListeners(): void {
    this.#emitter.removeAllListeners();
  }

  listenerCount<K extends keyof E & string>(event: K): number {
    return this.#emitter.listenerCount(event);
  }
}
