import type { Room } from '@muster/signaling/client';
import { h, setText } from '../lib/dom.ts';

/**
 * The meeting topic in the top bar. Hosts and co-hosts click (or tap) it to
 * edit it in place; Enter saves, Escape cancels. The same element serves the
 * phone layout, where it takes the room code's place.
 */
export class TopicEditor {
  readonly el: HTMLElement;
  readonly #text: HTMLButtonElement;
  readonly #input: HTMLInputElement;
  readonly #room: Room;
  readonly #roomId: string;
  readonly #report: (error: unknown) => void;
  #editing = false;

  constructor(room: Room, roomId: string, report: (error: unknown) => void) {
    this.#room = room;
    this.#roomId = roomId;
    this.#report = report;
    this.#text = h('button', { class: 'meeting-topic', type: 'button', 'data-testid': 'meeting-topic' });
    this.#input = h('input', { class: 'topic-input', type: 'text', maxlength: 200, 'aria-label': 'Meeting topic', 'data-testid': 'topic-input', hidden: true });
    this.#text.addEventListener('click', () => this.#start());
    this.#input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') {
        event.preventDefault();
        void this.#save();
      } else if (event.key === 'Escape') {
        event.stopPropagation();
        this.#stop();
      }
    });
    this.#input.addEventListener('blur', () => {
      if (this.#editing) void this.#save();
    });
    this.el = h('span', { class: 'topic' }, this.#text, this.#input);
  }

  get #canEdit(): boolean {
    return !!this.#room.localParticipant?.isModerator;
  }

  #start(): void {
    if (!this.#canEdit) return;
    this.#editing = true;
    this.#input.value = this.#room.info?.topic ?? '';
    this.#text.hidden = true;
    this.#input.hidden = false;
    this.#input.focus();
    this.#input.select();
  }

  #stop(): void {
    this.#editing = false;
    this.#input.hidden = true;
    this.sync();
  }

  async #save(): Promise<void> {
    const topic = this.#input.value.trim();
    this.#stop();
    if (!topic || topic === this.#room.info?.topic) return;
    await this.#room.request('room.update', { topic }).catch(this.#report);
  }

  sync(): void {
    if (this.#editing) return;
    const topic = this.#room.info?.topic ?? '';
    // The server defaults the topic to the room id, which the title already shows.
    const shown = topic && topic !== this.#roomId ? topic : '';
    const editable = this.#canEdit;
    setText(this.#text, shown || (editable ? 'Add a topic' : ''));
    this.#text.classList.toggle('placeholder', !shown);
    this.#text.disabled = !editable;
    this.#text.title = editable ? 'Rename the meeting' : shown;
    this.#text.hidden = !shown && !editable;
    this.el.dataset.topic = shown;
  }
}
