/**
 * Moments' live events, on IM's hub (so the sockets, the longlink gateways
 * and the sync long-poll carry them as they carry IM's): added to
 * ImEventMap by module augmentation. Push notifications react only to
 * `im.message`: these never become one.
 */
import type { MomentPostEvent, NoticeView } from './protocol.ts';

declare module '@muster/im' {
  interface ImEventMap {
    /** A like, comment or reply for you (as GET /moments/notices lists it): to your devices. */
    'moments.notice': NoticeView;
    /** A contact posted something you may see: to that contact's online devices (the Moments tab's badge). */
    'moments.post': MomentPostEvent;
  }
}
