/**
 * The Moments client SDK (`@muster/moments/client`): framework-free, for
 * browsers and Node, over IM's transport (the account socket's events and
 * REST with the signed-in person's token). It imports only types from the
 * protocol: its zod schemas, built at import, probe for eval, which the
 * page's CSP refuses.
 */
export { MomentsApi, feedSearch, type FeedQuery, type FeedView, type NewMoment } from './api.ts';
export { MomentsClient, MomentsFeed, type BadgeSnapshot, type FeedSnapshot } from './MomentsClient.ts';
export { EMPTY_FEED, appendPage, findPost, mergeRefresh, removePost, replacePost, rollbackLike, toggleLike, withComment, withLike, withoutComment, type FeedState } from './feed.ts';
export {
  MAX_COMMENT_CHARS,
  MAX_LOCATION_CHARS,
  MAX_POST_CHARS,
  MAX_POST_IMAGES,
  MAX_REASON_CHARS,
  VISIBILITIES,
  draftProblem,
  mediaKindOf,
  pickMedia,
  pickRefusalText,
  type Draft,
  type MediaKind,
  type PickRefusal,
} from './composer.ts';
export type { Badge, CommentPage, CommentView, LikeView, MomentPage, MomentView, NoticeKind, NoticePage, NoticeView, Visibility } from '../protocol.ts';
export {
  EMPTY_REPORTS,
  MomentsConsole,
  VISIBILITY_LABELS,
  afterResolve,
  appendReports,
  reportErrorText,
  reportRow,
  type ReportAction,
  type ReportPage,
  type ReportRow,
  type ReportState,
  type ReportView,
  type ReportsState,
} from './console.ts';
