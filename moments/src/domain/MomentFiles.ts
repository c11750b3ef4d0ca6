import type { Files } from '@muster/files';

/**
 * What Moments asks of the files domain: whether a person may attach a file
 * (their own finished upload), the views of files, and that a post
 * references them now (so that retention keeps them: files no message or
 * post references are forgotten after a week).
 */
export type MomentFiles = Pick<Files, 'attachable' | 'views' | 'referenced'>;
