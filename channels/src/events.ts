/**
 * The live event channels adds to IM's hub (by module augmentation of
 * ImEventMap): a commenter's system message, to their own devices. There is
 * no event per article to subscribers: feeds are read by diffusion, and
 * clients ask for the summary when the app is opened or focused.
 */
import type { NoticeView } from './protocol.ts';

declare module '@muster/im' {
  interface ImEventMap {
    /** A system message about the person's comment (approved, or deleted by the editors): to the commenter only. */
    'channels.notice': NoticeView;
  }
}

export const NOTICE_EVENT = 'channels.notice' as const;
