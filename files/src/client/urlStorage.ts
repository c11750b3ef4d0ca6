/**
 * Where tus-js-client remembers unfinished uploads (their Location, by the
 * file's fingerprint), so a reload or a restart can carry on from the bytes
 * the server has: Web Storage (localStorage in a browser), one key space per
 * signed-in account (someone else signing in on this browser neither sees
 * nor resumes my uploads).
 */

/** The part of Web Storage used here (localStorage, or a Map in tests). */
export interface KeyValueStorage {
  readonly length: number;
  key(index: number): string | null;
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** One unfinished upload as tus-js-client stores it (its PreviousUpload). */
export interface StoredUpload {
  size: number | null;
  metadata: Record<string, string>;
  creationTime: string;
  urlStorageKey: string;
  uploadUrl: string | null;
  parallelUploadUrls: string[] | null;
}

const PREFIX = 'muster.uploads';

/** tus-js-client's UrlStorage over Web Storage, keys `muster.uploads::<account>::<fingerprint>::<n>`. */
export class AccountUrlStorage {
  readonly #storage: KeyValueStorage;
  readonly #account: () => string | null;

  constructor(storage: KeyValueStorage, account: () => string | null) {
    this.#storage = storage;
    this.#account = account;
  }

  #prefix(): string {
    return `${PREFIX}::${this.#account() ?? 'signed-out'}::`;
  }

  findAllUploads(): Promise<StoredUpload[]> {
    return Promise.resolve(this.#find(this.#prefix()));
  }

  findUploadsByFingerprint(fingerprint: string): Promise<StoredUpload[]> {
    return Promise.resolve(this.#find(`${this.#prefix()}${fingerprint}::`));
  }

  removeUpload(urlStorageKey: string): Promise<void> {
    try {
      this.#storage.removeItem(urlStorageKey);
    } catch {
      // Storage refused (private mode): nothing was kept either.
    }
    return Promise.resolve();
  }

  addUpload(fingerprint: string, upload: Omit<StoredUpload, 'urlStorageKey'>): Promise<string> {
    const key = `${this.#prefix()}${fingerprint}::${Math.round(Math.random() * 1e12)}`;
    try {
      this.#storage.setItem(key, JSON.stringify(upload));
    } catch {
      // Full or refused: the upload runs, it just cannot resume after a reload.
    }
    return Promise.resolve(key);
  }

  #find(prefix: string): StoredUpload[] {
    const out: StoredUpload[] = [];
    let length = 0;
    try {
      length = this.#storage.length;
    } catch {
      return out;
    }
    for (let i = 0; i < length; i++) {
      const key = this.#storage.key(i);
      if (!key?.startsWith(prefix)) continue;
      try {
        out.push({ ...(JSON.parse(this.#storage.getItem(key) ?? '') as StoredUpload), urlStorageKey: key });
      } catch {
        // A damaged entry must not stop an upload.
      }
    }
    return out.sort((a, b) => (a.creationTime < b.creationTime ? 1 : -1));
  }
}

/** A Map-backed KeyValueStorage (Node, tests). */
export class MemoryStorage implements KeyValueStorage {
  readonly #map = new Map<string, string>();
  get length(): number {
    return this.#map.size;
  }
  key(index: number): string | null {
    return [...this.#map.keys()][index] ?? null;
  }
  getItem(key: string): string | null {
    return this.#map.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.#map.set(key, value);
  }
  removeItem(key: string): void {
    this.#map.delete(key);
  }
}
