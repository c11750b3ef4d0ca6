import type { Accounts, Principal } from '@muster/accounts';
import { isAccountError } from '@muster/accounts';
import type { Limit } from '@muster/kit/limits';
import type { Logger } from '@muster/kit/log';
import { MomentsError } from '../errors.ts';
import { DEFAULT_PAGE, type ReportPage, type ReportState, type ReportView } from '../protocol.ts';
import type { MomentRepository, StoredMoment } from '../store/MomentRepository.ts';
import type { ReportRepository, StoredReport } from '../store/ReportRepository.ts';
import { viewerOf } from './Audience.ts';
import { decodeCursor, encodeCursor } from './cursors.ts';
import type { MomentViews } from './MomentViews.ts';
import { newId } from './ids.ts';
import type { Posts } from './Posts.ts';

export interface ReportsOptions {
  reports: ReportRepository;
  moments: MomentRepository;
  posts: Posts;
  views: MomentViews;
  accounts: Accounts;
  limit: Limit;
  logger: Logger;
  now: () => number;
}

/**
 * Reports: anyone who may see someone else's post reports it, with a
 * reason (one open report per person and post). The admin console (an
 * elevated admin, as the accounts and IM consoles want) lists open or
 * resolved reports with the posts' content, and resolves one: dismissed,
 * or the post removed (audited), which resolves every open report of it.
 * While a post has an open report, admins may read its files to review it.
 */
export class Reports {
  readonly #o: ReportsOptions;

  constructor(options: ReportsOptions) {
    this.#o = options;
  }

  async report(principal: Principal, momentId: string, reason: string): Promise<{ id: string }> {
    const { post } = await this.#o.posts.visible(viewerOf(principal), momentId);
    if (post.authorId === principal.accountId) throw new MomentsError('BAD_REQUEST', 'you cannot report your own post: delete it');
    const verdict = await this.#o.limit.take(principal.accountId);
    if (!verdict.allowed) throw new MomentsError('RATE_LIMITED', 'too many reports; try again later', verdict.retryAfterMs / 1000);
    const { id } = await this.#o.reports.add({ id: newId('mr'), momentId, reporterId: principal.accountId, reason, createdAt: this.#o.now() });
    return { id };
  }

  /** The console's routes want an elevated admin; anyone else finds no such route. */
  assertConsole(principal: Principal | undefined): asserts principal is Principal {
    try {
      this.#o.accounts.admin.assertConsole(principal ?? null);
    } catch (error) {
      if (isAccountError(error, 'SECOND_FACTOR_REQUIRED')) throw new MomentsError('SECOND_FACTOR_REQUIRED', error.message);
      if (isAccountError(error)) throw new MomentsError('NOT_FOUND', 'no such API route');
      throw error;
    }
  }

  async list(principal: Principal | undefined, input: { state?: ReportState; before?: string; limit?: number }): Promise<ReportPage> {
    this.assertConsole(principal);
    const before = input.before === undefined ? undefined : decodeCursor(input.before);
    const limit = input.limit ?? DEFAULT_PAGE;
    const rows = await this.#o.reports.page(input.state ?? 'open', { ...(before ? { before } : {}), limit: limit + 1 });
    const page = rows.slice(0, limit);
    const items = await this.#views(page);
    const last = page.at(-1);
    return { items, next: rows.length > limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null };
  }

  async resolve(principal: Principal | undefined, reportId: string, action: 'dismiss' | 'remove'): Promise<ReportView> {
    this.assertConsole(principal);
    const report = await this.#o.reports.get(reportId);
    if (!report) throw new MomentsError('NOT_FOUND', 'no such report');
    if (report.state !== 'open') throw new MomentsError('ALREADY_RESOLVED', 'this report is already resolved');
    const at = this.#o.now();
    if (action === 'dismiss') {
      const done = await this.#o.reports.dismiss(reportId, principal.accountId, at, { actor: principal.accountId, action: 'moment.report.dismiss', target: reportId, details: { momentId: report.momentId }, at });
      if (!done) throw new MomentsError('ALREADY_RESOLVED', 'this report is already resolved');
    } else {
      const post = await this.#o.moments.get(report.momentId);
      const { reportsResolved } = await this.#o.moments.remove(report.momentId, {
        by: principal.accountId,
        at,
        resolveReports: true,
        audit: { actor: principal.accountId, action: 'moment.remove', target: report.momentId, details: { authorId: post?.authorId ?? null, reportId }, at },
      });
      if (reportsResolved === 0) throw new MomentsError('ALREADY_RESOLVED', 'this report is already resolved');
      this.#o.logger.info({ momentId: report.momentId, reportId, adminId: principal.accountId }, 'moments: an admin removed a reported post');
    }
    const [view] = await this.#views([(await this.#o.reports.get(reportId))!]);
    return view!;
  }

  async #views(reports: readonly StoredReport[]): Promise<ReportView[]> {
    const posts = new Map((await this.#o.moments.getMany(reports.map((r) => r.momentId))).map((p) => [p.id, p]));
    const people = await this.#o.accounts.profiles.publicProfiles([...reports.map((r) => r.reporterId), ...[...posts.values()].map((p) => p.authorId)]);
    const files = await this.#o.views.fileViews([...posts.values()]);
    return reports.flatMap((report): ReportView[] => {
      const post: StoredMoment | undefined = posts.get(report.momentId);
      if (!post) return [];
      return [
        {
          id: report.id,
          reason: report.reason,
          reporter: people.get(report.reporterId) ?? null,
          state: report.state,
          createdAt: report.createdAt,
          resolution: report.resolution,
          resolvedAt: report.resolvedAt,
          resolvedBy: report.resolvedBy,
          moment: {
            id: post.id,
            author: people.get(post.authorId) ?? null,
            text: post.text,
            location: post.location,
            files: post.fileIds.flatMap((id) => files.get(id) ?? []),
            visibility: post.visibility,
            createdAt: post.createdAt,
            removed: post.deletedAt !== null,
          },
        },
      ];
    });
  }
}
