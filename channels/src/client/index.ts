/**
 * `@muster/channels/client`: the service-accounts SDK for browsers and Node,
 * framework-free (types from the REST contract, REST calls, the pure
 * ordering and pin / reorder logic).
 */
export { ChannelsClient, type ArticlePage, type CommentPage, type NoticePage, type QueueFilter, type QueuePage } from './ChannelsClient.ts';
export { orderFeed, setPinned, movePinned, pinMoves, type SubscriptionChange } from './feed.ts';
export type { ChannelsTransport } from './transport.ts';
export type {
  ArticleSummary,
  ArticleVersionEntry,
  ArticleVersionView,
  ArticleView,
  CommentView,
  DirectoryEntry,
  FeedEntry,
  NoticeView,
  ServiceAccountView,
  SummaryView,
} from '../protocol.ts';
export {
  ChannelsConsole,
  DEFAULT_DAILY_CAP,
  KIND_LABELS,
  MAX_DAILY_CAP,
  MAX_DESCRIPTION_CHARS,
  MAX_EDITORS,
  MAX_KEYWORD_CHARS,
  MAX_KEYWORDS,
  MAX_NAME_CHARS,
  MIN_DAILY_CAP,
  accountChange,
  accountForm,
  addEditor,
  canEdit,
  consoleErrorText,
  createRequest,
  dailyCapValue,
  editorsChanged,
  emptyAccountForm,
  keywordsText,
  parseKeywords,
  removeEditor,
  type AccountForm,
  type Candidate,
  type ChannelsSettings,
  type Checked,
  type CreateServiceAccount,
  type PersonView,
  type ServiceAccountKind,
  type UpdateServiceAccount,
} from './console.ts';
