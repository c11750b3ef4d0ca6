import type { RemoteTrack } from '@muster/signaling/client';
import { h } from '../lib/dom.ts';
import { canSelectSpeaker } from '../lib/devices.ts';

/**
 * One <audio> element per remote audio track (microphones and shared tab
 * audio). Kept apart from the video tiles so sound never depends on layout,
 * and so the output device can be switched in one place.
 */
export class RemoteAudio {
  readonly el: HTMLElement;
  readonly #elements = new Map<string, { audio: HTMLAudioElement; track: MediaStreamTrack }>();
  #sinkId = '';
  /** Set when the browser refused to autoplay; the meeting offers a button. */
  blocked = false;
  readonly #onBlocked: () => void;

  constructor(onBlocked: () => void) {
    this.el = h('div', { class: 'remote-audio', 'data-testid': 'remote-audio', 'aria-hidden': 'true' });
    this.#onBlocked = onBlocked;
  }

  sync(tracks: RemoteTrack[]): void {
    const live = new Set<string>();
    for (const track of tracks) {
      if (track.kind !== 'audio') continue;
      live.add(track.sid);
      const existing = this.#elements.get(track.sid);
      if (existing && existing.track === track.mediaStreamTrack) continue;
      const audio = existing?.audio ?? h('audio', { autoplay: true, 'data-audio-participant-id': track.participantId, 'data-source': track.source });
      audio.srcObject = new MediaStream([track.mediaStreamTrack]);
      if (!existing) {
        this.el.append(audio);
        if (this.#sinkId) void this.#applySink(audio);
      }
      this.#elements.set(track.sid, { audio, track: track.mediaStreamTrack });
      this.#play(audio);
    }
    for (const [sid, { audio }] of this.#elements) {
      if (live.has(sid)) continue;
      audio.srcObject = null;
      audio.remove();
      this.#elements.delete(sid);
    }
  }

  #play(audio: HTMLAudioElement): void {
    audio.play().catch((error: Error) => {
      if (error.name === 'NotAllowedError' && !this.blocked) {
        this.blocked = true;
        this.#onBlocked();
      }
    });
  }

  /** Called from a click: a user gesture lets every element play. */
  unblock(): void {
    this.blocked = false;
    for (const { audio } of this.#elements.values()) this.#play(audio);
  }

  get sinkId(): string {
    return this.#sinkId;
  }

  async setSinkId(sinkId: string): Promise<void> {
    this.#sinkId = sinkId;
    await Promise.all([...this.#elements.values()].map(({ audio }) => this.#applySink(audio)));
  }

  async #applySink(audio: HTMLAudioElement): Promise<void> {
    if (!canSelectSpeaker()) return;
    try {
      await (audio as HTMLAudioElement & { setSinkId(id: string): Promise<void> }).setSinkId(this.#sinkId);
    } catch (error) {
      console.warn('[muster] could not switch audio output', error);
    }
  }

  destroy(): void {
    for (const { audio } of this.#elements.values()) audio.srcObject = null;
    this.#elements.clear();
    this.el.replaceChildren();
  }
}
