/**
 * The admin console's Moments part (`@muster/moments/client`),
 * framework-free: the reports' REST calls (`MomentsConsole`) and the pure
 * state of the console's list (pages, a report resolved, a row's words).
 *
 * `GET /moments/reports` and `POST /moments/reports/:id/resolve` want an
 * elevated admin: give the console a transport whose REST calls carry the
 * console's elevated token (in the web client: IM's AccountTransport over
 * `accounts.admin`); a lapsed second factor rejects with
 * SECOND_FACTOR_REQUIRED, as the other consoles do.
 */
import type { ImTransport } from '@muster/im/client';
import type { ReportPage, ReportState, ReportView, Visibility } from '../protocol.ts';

export type { ReportPage, ReportState, ReportView };
export type ReportAction = 'dismiss' | 'remove';

export class MomentsConsole {
  readonly #t: Pick<ImTransport, 'request'>;

  constructor(transport: Pick<ImTransport, 'request'>) {
    this.#t = transport;
  }

  /** Reports, newest first: open ones (the default) or resolved ones, a page from `before`. */
  reports(state: ReportState = 'open', before?: string | null, limit?: number): Promise<ReportPage> {
    const params = new URLSearchParams({ state });
    if (before) params.set('before', before);
    if (limit !== undefined) params.set('limit', String(limit));
    return this.#t.request('GET', `/moments/reports?${params.toString()}`);
  }

  /** dismiss: this report only; remove: the post goes, and every open report of it is resolved. Answers the report as it now is. */
  resolve(reportId: string, action: ReportAction): Promise<ReportView> {
    return this.#t.request('POST', `/moments/reports/${encodeURIComponent(reportId)}/resolve`, { action });
  }
}

// ------------------------------------------------------------------ the list's state

export interface ReportsState {
  items: ReportView[];
  next: string | null;
  loaded: boolean;
}

export const EMPTY_REPORTS: ReportsState = { items: [], next: null, loaded: false };

/** A page below those loaded (a report in both once, with its newer copy). */
export function appendReports(state: ReportsState, page: ReportPage): ReportsState {
  const fresh = new Map(page.items.map((r) => [r.id, r]));
  const kept = state.items.map((r) => fresh.get(r.id) ?? r);
  const known = new Set(kept.map((r) => r.id));
  return { items: [...kept, ...page.items.filter((r) => !known.has(r.id))], next: page.next, loaded: true };
}

/**
 * A report was resolved (`resolved` is the server's answer). In the open
 * list it leaves, and after a removal so do the other open reports of the
 * same post (the server resolved them too); in the resolved list it is
 * replaced.
 */
export function afterResolve(state: ReportsState, showing: ReportState, resolved: ReportView): ReportsState {
  if (showing === 'resolved') return { ...state, items: state.items.map((r) => (r.id === resolved.id ? resolved : r)) };
  const gone = (r: ReportView) => r.id === resolved.id || (resolved.resolution === 'remove' && r.moment.id === resolved.moment.id);
  return { ...state, items: state.items.filter((r) => !gone(r)) };
}

// ------------------------------------------------------------------ a row

export const VISIBILITY_LABELS: Record<Visibility, string> = { all: 'Everyone', friends: 'Friends', private: 'Only the author' };

export interface ReportRow {
  id: string;
  author: string;
  text: string;
  /** The post's first picture (or a video's poster), when it has one to show. */
  pictureFileId: string | null;
  /** More files than the picture shown. */
  moreFiles: number;
  visibility: string;
  location: string | null;
  reporter: string;
  reason: string;
  /** "Removed" / "Deleted by its author" state of the post. */
  postState: 'live' | 'removed';
  /** How it was resolved (resolved ones). */
  resolution: string | null;
  /** Whether Dismiss and Remove apply (an open report). */
  open: boolean;
}

/** What the console shows of a report. */
export function reportRow(report: ReportView): ReportRow {
  const m = report.moment;
  const first = m.files.find((f) => (f.kind === 'image' || f.thumbnail) && !f.expired) ?? null;
  return {
    id: report.id,
    author: m.author?.nickname ?? 'A deleted account',
    text: m.text ?? '',
    pictureFileId: first?.id ?? null,
    moreFiles: Math.max(0, m.files.length - (first ? 1 : 0)),
    visibility: VISIBILITY_LABELS[m.visibility],
    location: m.location,
    reporter: report.reporter?.nickname ?? 'A deleted account',
    reason: report.reason,
    postState: m.removed ? 'removed' : 'live',
    resolution: report.state === 'open' ? null : report.resolution === 'remove' ? 'Post removed' : 'Dismissed',
    open: report.state === 'open',
  };
}

/** Readable words for a refused console call. */
export function reportErrorText(error: unknown): string {
  const e = error as { code?: string; message?: string };
  switch (e.code) {
    case 'ALREADY_RESOLVED':
      return 'That report was already resolved (by another administrator?). Refresh the list.';
    case 'NOT_FOUND':
      return 'That report is gone.';
    case 'NETWORK':
      return 'The server cannot be reached. Try again.';
    default:
      return e.message || 'Something went wrong. Try again.';
  }
}
