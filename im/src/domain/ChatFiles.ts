/**
 * The port through which chat reaches files (the `files` domain implements
 * it; the server wires it with `im.useFiles`). IM imports no file code: a
 * message names a file id, and this port says what that file is, whether
 * a sender may attach it, and records that a message now references it
 * (retention keeps a file while a message within the retention period
 * references it).
 */
import type { FileView } from '../protocol.ts';

export interface ChatFiles {
  /**
   * The file as a message would carry it, when `accountId` may attach it:
   * their own finished upload (sending), or one they can read (forwarding
   * re-uses the stored file). Otherwise undefined (the caller answers NOT_FOUND).
   */
  attachable(fileId: string, accountId: string, how: 'upload' | 'forward'): Promise<FileView | undefined>;
  /** Views of many files at once (message pages); an id the store does not know is left out. */
  views(fileIds: readonly string[]): Promise<Map<string, FileView>>;
  /** A message referencing the file was stored at `at`: retention counts from the newest such. */
  referenced(fileIds: readonly string[], at: number): Promise<void>;
}
