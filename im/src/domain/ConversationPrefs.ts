import type { Principal } from '@muster/accounts';
import { ImError } from '../errors.ts';
import { MAX_DRAFT_BYTES, type ConversationSettings, type ConversationView } from '../protocol.ts';
import type { ConversationRepository } from '../store/ConversationRepository.ts';
import type { PrefsRepository, StoredPrefs } from '../store/PrefsRepository.ts';
import type { ListOptions } from './Conversations.ts';
import type { ImHub } from './ImHub.ts';

export interface ConversationPrefsOptions {
  prefs: PrefsRepository;
  conversations: ConversationRepository;
  hub: ImHub;
  now?: () => number;
}

/** What a person may change at once (the draft has its own call). */
export interface SettingsChange {
  pinned?: boolean;
  muted?: boolean;
  hidden?: boolean;
  markedUnread?: boolean;
}

/**
 * A person's own settings of each conversation, the same on all of their
 * devices: pinned (listed first), muted (no notifications, a grey badge:
 * clients decide both from `muted`), hidden (left out of the list until a
 * new message arrives: it hides up to the seq it was hidden at), marked
 * unread (cleared by reading), and a draft (at most 2048 bytes, sealed).
 * Every change goes live to the person's devices as `im.conversation`, and
 * the conversation views carry the settings (see decorate).
 */
export class ConversationPrefs {
  readonly #prefs: PrefsRepository;
  readonly #conversations: ConversationRepository;
  readonly #hub: ImHub;
  readonly #now: () => number;

  constructor(options: ConversationPrefsOptions) {
    this.#prefs = options.prefs;
    this.#conversations = options.conversations;
    this.#hub = options.hub;
    this.#now = options.now ?? Date.now;
  }

  async get(principal: Principal, conversationId: string): Promise<ConversationSettings> {
    const lastSeq = await this.#lastSeqOfMine(principal, conversationId);
    return settingsOf(await this.#prefs.get(principal.accountId, conversationId), lastSeq);
  }

  async update(principal: Principal, conversationId: string, change: SettingsChange): Promise<ConversationSettings> {
    const lastSeq = await this.#lastSeqOfMine(principal, conversationId);
    const now = this.#now();
    const before = change.pinned === true ? await this.#prefs.get(principal.accountId, conversationId) : null;
    const stored = await this.#prefs.update(
      principal.accountId,
      conversationId,
      {
        // Pinning again keeps the first pin's time.
        ...(change.pinned !== undefined ? { pinnedAt: change.pinned ? (before?.pinnedAt ?? now) : null } : {}),
        ...(change.muted !== undefined ? { muted: change.muted } : {}),
        // Hidden up to the last message now: the next one shows it again.
        ...(change.hidden !== undefined ? { hiddenSeq: change.hidden ? lastSeq : null } : {}),
        ...(change.markedUnread !== undefined ? { markedUnread: change.markedUnread } : {}),
      },
      now,
    );
    return this.#announce(stored, lastSeq);
  }

  /** Keeps the person's draft of a conversation (empty clears it). */
  async setDraft(principal: Principal, conversationId: string, text: string): Promise<ConversationSettings> {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > MAX_DRAFT_BYTES) throw new ImError('TEXT_TOO_LONG', `a draft is at most ${MAX_DRAFT_BYTES} bytes of UTF-8 (${bytes} given)`);
    const lastSeq = await this.#lastSeqOfMine(principal, conversationId);
    const stored = await this.#prefs.update(principal.accountId, conversationId, { draft: text === '' ? null : text }, this.#now());
    return this.#announce(stored, lastSeq);
  }

  /**
   * The view decorator (Conversations.useViewDecorator): each view gets the
   * person's settings; pinned ones come first (each group in the order it
   * came); hidden ones are left out unless the listing asks for them.
   */
  readonly decorate = async (userId: string, views: ConversationView[], options: ListOptions): Promise<ConversationView[]> => {
    const prefs = await this.#prefs.forUser(
      userId,
      views.map((v) => v.id),
    );
    const decorated = views.map((view) => {
      const s = settingsOf(prefs.get(view.id) ?? null, view.lastSeq);
      return { ...view, pinned: s.pinned, muted: s.muted, hidden: s.hidden, markedUnread: s.markedUnread, ...(s.draft !== null ? { draft: s.draft } : {}) };
    });
    const shown = options.hidden ? decorated : decorated.filter((v) => !v.hidden);
    return [...shown.filter((v) => v.pinned), ...shown.filter((v) => !v.pinned)];
  };

  /** The read hook (Conversations.useReadHook): reading a conversation clears its "marked unread". */
  readonly onRead = async (userId: string, conversationId: string): Promise<void> => {
    const cleared = await this.#prefs.clearMarkedUnread(userId, conversationId, this.#now());
    if (!cleared) return;
    const conversation = await this.#conversations.get(conversationId);
    this.#announce(cleared, conversation?.lastSeq ?? 0);
  };

  #announce(stored: StoredPrefs, lastSeq: number): ConversationSettings {
    const settings = settingsOf(stored, lastSeq);
    this.#hub.publish('im.conversation', [stored.userId], { conversationId: stored.conversationId, settings });
    return settings;
  }

  /** The conversation's last seq, if the person is in it; NOT_FOUND otherwise (a probe learns nothing). */
  async #lastSeqOfMine(principal: Principal, conversationId: string): Promise<number> {
    const [membership, conversation] = await Promise.all([this.#conversations.membership(conversationId, principal.accountId), this.#conversations.get(conversationId)]);
    if (!membership || !conversation) throw new ImError('NOT_FOUND', 'no such conversation');
    return conversation.lastSeq;
  }
}

function settingsOf(stored: StoredPrefs | null, lastSeq: number): ConversationSettings {
  return {
    pinned: stored?.pinnedAt != null,
    muted: stored?.muted ?? false,
    hidden: stored?.hiddenSeq != null && lastSeq <= stored.hiddenSeq,
    markedUnread: stored?.markedUnread ?? false,
    draft: stored?.draft ?? null,
    updatedAt: stored?.updatedAt ?? null,
  };
}
