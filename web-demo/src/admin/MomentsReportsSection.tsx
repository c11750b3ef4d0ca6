import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { AccountTransport } from '@muster/im/client';
import { afterResolve, appendReports, EMPTY_REPORTS, MomentsConsole, reportErrorText, reportRow, type ReportAction, type ReportState, type ReportsState, type ReportView } from '@muster/moments/client';
import { useCachedImage } from '../chats/media/media.ts';
import { accounts } from '../account/session.ts';
import { relativeTime } from '../lib/time.ts';

/**
 * The console's Moments reports: the open reports (or the resolved ones),
 * newest first, a page at a time, each with the post (author, text, its
 * first picture, who may see it), the reporter and their reason; Dismiss
 * (nothing wrong) or Remove post (it goes, with every open report of it).
 * The calls are `@muster/moments/client`'s MomentsConsole, carrying the
 * console's elevated token (`accounts.admin.fetch`); a lapsed second factor
 * brings the factor form back.
 */
export function MomentsReportsSection() {
  const sdk = useMemo(() => new MomentsConsole(new AccountTransport({ fetch: accounts.admin.fetch })), []);
  const [showing, setShowing] = useState<ReportState>('open');
  const [state, setState] = useState<ReportsState>(EMPTY_REPORTS);
  const [error, setError] = useState('');
  const [info, setInfo] = useState('');
  const [busy, setBusy] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);

  const call = async <T,>(run: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await run();
    } catch (e) {
      if ((e as { code?: string }).code === 'SECOND_FACTOR_REQUIRED') accounts.dropElevation();
      else setError(reportErrorText(e));
      return undefined;
    }
  };
  // Which list is asked for now: a page that answers after a switch (or a newer refresh) is dropped.
  const asked = useRef(0);
  const load = async (which: ReportState) => {
    setError('');
    const ticket = ++asked.current;
    const page = await call(() => sdk.reports(which));
    if (page && ticket === asked.current) setState(appendReports(EMPTY_REPORTS, page));
  };
  useEffect(() => {
    void load(showing);
  }, [showing]);
  const show = (which: ReportState) => {
    if (which === showing) return;
    setState(EMPTY_REPORTS);
    setShowing(which);
    setInfo('');
  };

  const more = async () => {
    if (!state.next || loadingMore) return;
    setLoadingMore(true);
    const ticket = asked.current;
    const page = await call(() => sdk.reports(showing, state.next));
    setLoadingMore(false);
    if (page && ticket === asked.current) setState((s) => appendReports(s, page));
  };

  const resolve = async (report: ReportView, action: ReportAction) => {
    if (action === 'remove' && !confirm(`Remove ${report.moment.author?.nickname ?? 'this'}’s post? It is gone for everyone, and every open report of it is resolved.`)) return;
    setBusy(report.id);
    setError('');
    setInfo('');
    const resolved = await call(() => sdk.resolve(report.id, action));
    setBusy(null);
    if (resolved) {
      setState((s) => afterResolve(s, showing, resolved));
      setInfo(action === 'remove' ? 'The post was removed.' : 'The report was dismissed.');
    }
  };

  const now = Date.now();
  return (
    <section class="card-section" data-testid="admin-moments" data-state={state.loaded ? 'ready' : 'loading'} data-showing={showing}>
      <div class="admin-reports-bar">
        <div class="segmented" role="tablist" aria-label="Which reports">
          {(['open', 'resolved'] as const).map((s) => (
            <button key={s} type="button" role="tab" aria-selected={showing === s} class={showing === s ? 'active' : ''} data-testid={`admin-reports-${s}`} onClick={() => show(s)}>
              {s === 'open' ? 'Open' : 'Resolved'}
            </button>
          ))}
        </div>
        <button class="btn btn-ghost btn-small" type="button" data-testid="admin-reports-refresh" onClick={() => void load(showing)}>
          Refresh
        </button>
      </div>
      <p class="form-error" role="alert" data-testid="admin-reports-error">
        {error}
      </p>
      <p class="form-info" role="status" data-testid="admin-reports-info">
        {info}
      </p>
      {state.loaded && state.items.length === 0 && <p class="muted">{showing === 'open' ? 'No open reports.' : 'No resolved reports.'}</p>}
      <ul class="item-list">
        {state.items.map((r) => {
          const row = reportRow(r);
          return (
            <li key={row.id} class="item admin-report" data-testid="admin-report" data-id={row.id} data-moment-id={r.moment.id} data-post-state={row.postState}>
              {row.pictureFileId && <ReportPicture fileId={row.pictureFileId} />}
              <div class="item-main">
                <span class="item-title">
                  {row.author} <span class="muted">· visible to {row.visibility}</span>
                  {row.postState === 'removed' && <span class="muted"> · removed</span>}
                </span>
                {row.text && (
                  <span class="admin-report-text" data-testid="admin-report-text">
                    {row.text}
                  </span>
                )}
                {(row.location || row.moreFiles > 0) && (
                  <span class="item-sub">
                    {[row.location, row.moreFiles > 0 ? `+${row.moreFiles} more ${row.moreFiles === 1 ? 'file' : 'files'}` : null].filter(Boolean).join(' · ')}
                  </span>
                )}
                <span class="item-sub" data-testid="admin-report-reason">
                  Reported by {row.reporter} {relativeTime(r.createdAt, now)}: “{row.reason}”
                </span>
                {row.resolution && (
                  <span class="item-sub" data-testid="admin-report-resolution">
                    {row.resolution}
                    {r.resolvedAt !== null && ` ${relativeTime(r.resolvedAt, now)}`}
                  </span>
                )}
              </div>
              {row.open && (
                <div class="item-actions wrap">
                  <button class="btn btn-small btn-ghost" type="button" disabled={busy === row.id} data-testid="admin-report-dismiss" onClick={() => void resolve(r, 'dismiss')}>
                    Dismiss
                  </button>
                  <button class="btn btn-small btn-outline-danger" type="button" disabled={busy === row.id} data-testid="admin-report-remove" onClick={() => void resolve(r, 'remove')}>
                    Remove post
                  </button>
                </div>
              )}
            </li>
          );
        })}
      </ul>
      {state.next && (
        <button class="btn btn-ghost" type="button" disabled={loadingMore} data-testid="admin-reports-more" onClick={() => void more()}>
          {loadingMore ? 'Loading…' : 'More'}
        </button>
      )}
    </section>
  );
}

/** The reported post's first picture (a thumbnail; admins may read a reported post's files while a report is open). */
function ReportPicture({ fileId }: { fileId: string }) {
  const { src, error } = useCachedImage(fileId, 'thumbnail');
  if (error) return <span class="admin-report-picture admin-report-picture-missing">No preview</span>;
  return src ? <img class="admin-report-picture" src={src} alt="The post’s first picture" data-testid="admin-report-picture" /> : <span class="admin-report-picture" />;
}
