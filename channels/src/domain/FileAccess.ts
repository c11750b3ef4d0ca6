import type { FileView } from '@muster/files/protocol';
import type { Actor } from './Actor.ts';
import type { ChannelFiles } from './ChannelFiles.ts';

/**
 * Which files an actor may put into an account's article or avatar: a
 * person's own finished uploads, or files they can read (as a chat forward
 * allows); for the organisation's token, which is no person and has no
 * uploads of its own (the files domain records a person as every upload's
 * owner), the files any of the account's editors could attach.
 */
export class FileAccess {
  readonly #files: ChannelFiles;

  constructor(files: ChannelFiles) {
    this.#files = files;
  }

  /**
   * The views of the files the actor may attach (those it may not are left
   * out); `editors`: the account's editors, whose files the organisation's
   * token may use.
   */
  async attachable(actor: Actor, editors: readonly string[], fileIds: readonly string[]): Promise<Map<string, FileView>> {
    const ids = [...new Set(fileIds)];
    const found = new Map<string, FileView>();
    if (ids.length === 0) return found;
    const people = actor.kind === 'person' ? [actor.principal.accountId] : [...new Set(editors)];
    for (const id of ids) {
      // Their own uploads first (one look-up each), then what they can read (asks every reader).
      for (const how of ['upload', 'forward'] as const) {
        for (const accountId of people) {
          const view = await this.#files.attachable(id, accountId, how);
          if (view) {
            found.set(id, view);
            break;
          }
        }
        if (found.has(id)) break;
      }
    }
    return found;
  }
}
