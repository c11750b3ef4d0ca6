import type { Room } from '@muster/signaling/client';
import type { RecordingListEntry } from '@muster/signaling/protocol';
import { h } from '../lib/dom.ts';

const STATE_LABEL: Record<RecordingListEntry['state'], string> = {
  recording: 'recording now',
  processing: 'being prepared…',
  ready: 'ready',
  failed: 'failed',
};

function duration(ms: number | null): string {
  if (ms === null) return '';
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/**
 * The meeting's recordings for hosts and co-hosts (in the host tools):
 * listed on demand, each ready one with a download link and an inline
 * player. Links are signed by the server and expire after an hour.
 */
export class RecordingsList {
  readonly el: HTMLElement;
  readonly #list: HTMLElement;
  readonly #room: Room;

  constructor(room: Room, report: (error: unknown) => void) {
    this.#room = room;
    this.#list = h('ul', { class: 'recordings-list', 'data-testid': 'recordings-list' });
    const show = h('button', { class: 'btn btn-ghost btn-sm', type: 'button', 'data-testid': 'show-recordings' }, 'Show recordings');
    show.addEventListener('click', () => void this.refresh().catch(report));
    this.el = h('section', { class: 'host-recordings' }, show, this.#list);
  }

  async refresh(): Promise<void> {
    const { recordings } = await this.#room.request('recordings.list', {});
    this.#list.replaceChildren(
      ...(recordings.length === 0 ? [h('li', null, 'No recordings of this meeting yet.')] : []),
      ...recordings
        .slice()
        .reverse()
        .map((r) => {
          const when = new Date(r.startedAt).toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' });
          const item = h('li', { 'data-recording-id': r.id, 'data-state': r.state }, `${when} · ${duration(r.durationMs)} · ${STATE_LABEL[r.state]}`);
          if (r.downloadUrl) {
            const url = r.downloadUrl;
            const play = h('button', { class: 'btn btn-ghost btn-sm', type: 'button', 'data-testid': 'play-recording' }, 'Play');
            play.addEventListener('click', () => {
              const existing = item.querySelector('video');
              if (existing) return existing.remove();
              item.append(h('video', { src: url, controls: true, class: 'recording-player', 'data-testid': 'recording-player' }));
            });
            item.append(' ', h('a', { href: url, download: '', 'data-testid': 'download-recording' }, 'Download'), ' ', play);
          }
          return item;
        }),
    );
  }
}
