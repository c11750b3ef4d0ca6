/**
 * Test helpers: the IM domain on a test database with real accounts (the
 * cheapest Argon2id, a clock the test moves), people who sign up in one
 * call, and the coded error a promise was refused with.
 */
import type { Principal } from '@muster/accounts';
import { openTestAccounts, type TestAccounts } from '@muster/accounts/testing';
import type { Database } from '@muster/db';
import type { Contacts } from '../domain/Contacts.ts';
import type { Conversations } from '../domain/Conversations.ts';
import type { ImDelivery } from '../domain/ImHub.ts';
import { isImError } from '../errors.ts';
import { Im, type ImOptions } from '../Im.ts';
import { ConversationRepository } from '../store/ConversationRepository.ts';
import type { ChatFiles } from '../domain/ChatFiles.ts';
import type { FileView } from '../protocol.ts';

export interface ImTestWorld {
  t: TestAccounts;
  im: Im;
  /** Every live event published so far, oldest first. */
  deliveries: ImDelivery[];
  contacts: Contacts;
  conversations: Conversations;
  store: ConversationRepository;
  /** A new person (sign-up policy "password"), signed in. */
  person(nickname: string): Promise<Principal>;
  /** `a` asks, `b` accepts. */
  befriend(a: Principal, b: Principal): Promise<void>;
}

let people = 0;

/** `options`: more of the Im's options (a send cap, a recall window…). */
export async function openImTestWorld(db: Database, options: Partial<Omit<ImOptions, 'db' | 'accounts' | 'now'>> = {}): Promise<ImTestWorld> {
  const t = await openTestAccounts(db);
  await t.accounts.admin.updateSettings({ accountId: 'root', sessionId: 's', role: 'admin' }, { signupPolicy: 'password' });
  const im = new Im({ ...options, db, accounts: t.accounts, now: t.clock.now });
  const { contacts, conversations } = im;
  const store = new ConversationRepository(db);
  const deliveries: ImDelivery[] = [];
  im.hub.subscribe((d) => deliveries.push(d));
  const person = async (nickname: string): Promise<Principal> => {
    const phone = `+86137${String(10_000_000 + people++ * 7_919).slice(-8)}`;
    const { session } = await t.accounts.auth.signup({ phone, password: 'tulip-granite-73', nickname }, { address: '10.1.2.3' });
    return (await t.accounts.guard.authenticate(session!.accessToken))!;
  };
  const befriend = async (a: Principal, b: Principal) => contacts.answer(b, (await contacts.request(a, b.accountId)).id, true);
  return { t, im, deliveries, contacts, conversations, store, person, befriend };
}

/** The IM error code a promise is refused with (fails the test on success or another error). */
export async function imErrorCode(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!isImError(error)) throw new Error(`expected an ImError, got ${error === null ? 'success' : String(error)}`);
  return error.code;
}

/**
 * The message store with its writes held while the test says: the sends
 * that reach `append` wait there (in flight, not yet stored) until released.
 * Give it to a `Conversations` to see what happens to sends under load.
 */
export class HeldWrites extends ConversationRepository {
  #gate: Promise<void> | null = null;
  #open: () => void = () => undefined;
  /** Writes waiting at the gate. */
  waiting = 0;

  hold(): void {
    this.#gate ??= new Promise<void>((resolve) => (this.#open = resolve));
  }

  release(): void {
    this.#gate = null;
    this.#open();
  }

  override async append(message: Parameters<ConversationRepository['append']>[0]): ReturnType<ConversationRepository['append']> {
    if (this.#gate) {
      this.waiting++;
      await this.#gate.finally(() => this.waiting--);
    }
    return super.append(message);
  }
}

/**
 * The files port with files made by the test (IM's own tests: the real
 * files domain has its own suite, and the server's tests wire both).
 * `add` makes a finished upload of `ownerId`'s; `expire` plays retention.
 */
export class TestChatFiles implements ChatFiles {
  readonly #files = new Map<string, { owner: string; view: FileView }>();
  /** Every `referenced` call, in order. */
  readonly references: { fileIds: readonly string[]; at: number }[] = [];
  #next = 0;
  /** Who may read what besides the owner (the test wires im.readsFile here). */
  readers: (fileId: string, accountId: string) => Promise<boolean> = async () => false;

  add(ownerId: string, view: Partial<FileView> & Pick<FileView, 'kind'>): FileView {
    const id = `fl${String(++this.#next).padStart(16, '0')}`;
    const full: FileView = { id, name: `file-${this.#next}`, size: 1000, mime: 'application/octet-stream', thumbnail: false, ...view };
    this.#files.set(id, { owner: ownerId, view: full });
    return full;
  }

  expire(fileId: string): void {
    const file = this.#files.get(fileId)!;
    file.view = { ...file.view, expired: true };
  }

  async attachable(fileId: string, accountId: string, how: 'upload' | 'forward'): Promise<FileView | undefined> {
    const file = this.#files.get(fileId);
    if (!file) return undefined;
    if (file.owner === accountId) return file.view;
    return how === 'forward' && (await this.readers(fileId, accountId)) ? file.view : undefined;
  }

  async views(fileIds: readonly string[]): Promise<Map<string, FileView>> {
    return new Map(fileIds.flatMap((id) => (this.#files.has(id) ? [[id, this.#files.get(id)!.view] as const] : [])));
  }

  async referenced(fileIds: readonly string[], at: number): Promise<void> {
    this.references.push({ fileIds, at });
  }
}
