import type { FileView } from '@muster/files/protocol';

/**
 * What channels needs of the files domain (the server passes `Files`, which
 * has all three; tests pass a stand-in such as IM's TestChatFiles).
 */
export interface ChannelFiles {
  /**
   * The file's view when `accountId` may attach it: `upload`, their own
   * finished upload; `forward`, a finished file they can read.
   */
  attachable(fileId: string, accountId: string, how: 'upload' | 'forward'): Promise<FileView | undefined>;
  /** Views of files by id (unknown and unfinished ones left out). */
  views(fileIds: readonly string[]): Promise<Map<string, FileView>>;
  /** Something referencing these files was stored at `at` (retention counts from the last reference). */
  referenced(fileIds: readonly string[], at: number): Promise<void>;
}
