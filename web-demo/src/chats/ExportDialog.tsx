import { useEffect, useRef, useState } from 'preact/hooks';
import type { ExportFormat, ImClient } from '@muster/im/client';
import { Icon } from '../ui/Icon.tsx';
import { FORMAT_CHOICES, RANGE_PRESETS, customRange, dayValue, exportDoneText, exportErrorText, presetRange, type ExportRange, type RangePreset } from './exportViewModel.ts';
import './export.css';

/**
 * Saves a Blob under a name: a temporary <a download> over an object URL,
 * revoked once the browser has taken it.
 */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  // The download has started from the click; the URL goes a while later (revoked at once, some browsers lose it).
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export interface ExportPicked {
  ids: string[];
  range: ExportRange;
}

/**
 * "Export chat…": a range (today, the last 7 or 30 days, or custom days),
 * a format (Word, PDF, Markdown) and "Also send to this chat"; with `picked`
 * (multi-select's "Export selected") the range is the picked messages' and
 * only they go. The document is saved under the server's file name;
 * refusals show in words.
 */
export function ExportDialog({ client, conversationId, title, picked, onClose }: { client: ImClient; conversationId: string; title: string; picked?: ExportPicked | null; onClose: (done: string | null) => void }) {
  const [preset, setPreset] = useState<RangePreset>('today');
  const [fromDay, setFromDay] = useState(() => dayValue(new Date(Date.now() - 6 * 86_400_000)));
  const [toDay, setToDay] = useState(() => dayValue(new Date()));
  const [format, setFormat] = useState<ExportFormat>('docx');
  const [sendToChat, setSendToChat] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const dialog = useRef<HTMLDivElement>(null);

  useEffect(() => {
    dialog.current?.querySelector<HTMLElement>('input, button')?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose(null);
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);

  const custom = preset === 'custom' ? customRange(fromDay, toDay) : null;
  const rangeProblem = custom && 'error' in custom ? custom.error : null;

  const go = async () => {
    const range: ExportRange = picked ? picked.range : preset === 'custom' ? (custom as ExportRange) : presetRange(preset, new Date());
    setBusy(true);
    setError(null);
    try {
      const done = await client.exports.exportChat(conversationId, {
        from: range.from,
        to: range.to,
        format,
        ...(picked ? { messageIds: picked.ids } : {}),
        ...(sendToChat ? { saveToChat: true } : {}),
      });
      saveBlob(done.blob, done.filename);
      onClose(exportDoneText(done.count, done.filename, done.messageId !== null));
    } catch (e) {
      setError(exportErrorText(e));
      setBusy(false);
    }
  };

  return (
    <div class="export-backdrop" onClick={(e) => e.target === e.currentTarget && !busy && onClose(null)}>
      <div ref={dialog} class="export-dialog" role="dialog" aria-modal="true" aria-labelledby="export-dialog-title" data-testid="export-dialog">
        <header>
          <b id="export-dialog-title">{picked ? `Export ${picked.ids.length} selected message${picked.ids.length === 1 ? '' : 's'}` : 'Export chat'}</b>
          <button class="icon-btn" type="button" aria-label="Close" data-testid="export-close" onClick={() => onClose(null)}>
            <Icon name="close" />
          </button>
        </header>
        <p class="export-subject">{title}</p>
        {!picked && (
          <fieldset class="export-group">
            <legend>Time range</legend>
            <div class="export-choices">
              {RANGE_PRESETS.map((p) => (
                <label key={p.id} class="export-choice">
                  <input type="radio" name="export-range" checked={preset === p.id} data-testid={`export-range-${p.id}`} onChange={() => setPreset(p.id)} />
                  {p.label}
                </label>
              ))}
            </div>
            {preset === 'custom' && (
              <div class="export-days">
                <label>
                  From
                  <input class="input input-sm" type="date" value={fromDay} max={toDay} data-testid="export-from" onInput={(e) => setFromDay(e.currentTarget.value)} />
                </label>
                <label>
                  To
                  <input class="input input-sm" type="date" value={toDay} min={fromDay} data-testid="export-to" onInput={(e) => setToDay(e.currentTarget.value)} />
                </label>
              </div>
            )}
            {rangeProblem && (
              <p class="chat-error" data-testid="export-range-error">
                {rangeProblem}
              </p>
            )}
          </fieldset>
        )}
        <fieldset class="export-group">
          <legend>Format</legend>
          <div class="export-choices">
            {FORMAT_CHOICES.map((f) => (
              <label key={f.id} class="export-choice">
                <input type="radio" name="export-format" checked={format === f.id} data-testid={`export-format-${f.id}`} onChange={() => setFormat(f.id)} />
                {f.label}
              </label>
            ))}
          </div>
        </fieldset>
        <label class="export-choice">
          <input type="checkbox" checked={sendToChat} data-testid="export-send-to-chat" onChange={(e) => setSendToChat(e.currentTarget.checked)} />
          Also send to this chat
        </label>
        {error && (
          <p class="chat-error" role="alert" data-testid="export-error">
            {error}
          </p>
        )}
        <footer>
          <button class="btn btn-ghost" type="button" onClick={() => onClose(null)}>
            Cancel
          </button>
          <button class="btn btn-primary" type="button" disabled={busy || rangeProblem !== null} data-testid="export-submit" onClick={() => void go()}>
            {busy ? 'Exporting…' : 'Export'}
          </button>
        </footer>
      </div>
    </div>
  );
}
