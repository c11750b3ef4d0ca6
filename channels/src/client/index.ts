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
