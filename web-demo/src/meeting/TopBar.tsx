import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { CopyButton } from '../ui/CopyButton.tsx';
import { meetingLink } from '../app/router.ts';
import { ControlButton } from './ControlButton.tsx';
import { isModerator } from './model.ts';
import type { MeetingStore } from './store.ts';

/** Room code, topic, recording badge and link on the left; layout and full screen on the right. */
export function TopBar({ store, onFullscreen }: { store: MeetingStore; onFullscreen(): void }) {
  const m = store.meeting.value;
  const layout = store.stage.value.layout;
  const full = store.fullscreen.value;
  const toSpeaker = layout === 'grid';
  return (
    <header class="meeting-top">
      <div class="meeting-title">
        <span class="live-dot" aria-hidden="true" />
        <span class="room-code" data-testid="room-code">
          {store.roomId}
        </span>
        <TopicEditor store={store} />
        <span class="rec-badge" data-testid="recording-badge" hidden={!m.info?.recording}>
          REC
        </span>
        <CopyButton class="link-btn" icon="copy" label="Copy link" title="Copy meeting link" testId="copy-link" promptLabel="Copy this meeting link" text={() => meetingLink(store.roomId)} />
      </div>
      <div class="top-actions">
        <ControlButton variant="icon-btn" testId="layout-toggle" icon={toSpeaker ? 'speaker' : 'grid'} label={toSpeaker ? 'Speaker view' : 'Grid view'} pressed={!toSpeaker} onClick={store.toggleLayout} />
        <ControlButton
          variant="icon-btn"
          testId="fullscreen-toggle"
          icon={full ? 'fullscreenExit' : 'fullscreen'}
          label={full ? 'Exit full screen' : 'Full screen'}
          pressed={full}
          hidden={!document.fullscreenEnabled}
          onClick={onFullscreen}
        />
      </div>
    </header>
  );
}

/**
 * The meeting topic in the top bar. Hosts and co-hosts click (or tap) it to
 * edit it in place; Enter saves, Escape cancels. The same element serves the
 * phone layout, where it takes the room code's place.
 */
function TopicEditor({ store }: { store: MeetingStore }) {
  const m = store.meeting.value;
  const [editing, setEditing] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const topic = m.info?.topic ?? '';
  // The server defaults the topic to the room id, which the title already shows.
  const shown = topic && topic !== store.roomId ? topic : '';
  const editable = !!m.self && isModerator(m.self);

  useLayoutEffect(() => {
    if (!editing) return;
    input.current!.value = topic;
    input.current!.focus();
    input.current!.select();
  }, [editing]);

  const save = () => {
    if (!editing) return;
    const next = input.current!.value.trim();
    setEditing(false);
    if (next && next !== store.room.info?.topic) void store.send('room.update', { topic: next });
  };

  return (
    <span class="topic" data-topic={shown}>
      <button
        class={`meeting-topic${shown ? '' : ' placeholder'}`}
        type="button"
        data-testid="meeting-topic"
        disabled={!editable}
        title={editable ? 'Rename the meeting' : shown}
        hidden={editing || (!shown && !editable)}
        onClick={() => editable && setEditing(true)}
      >
        {shown || (editable ? 'Add a topic' : '')}
      </button>
      <input
        ref={input}
        class="topic-input"
        type="text"
        maxLength={200}
        aria-label="Meeting topic"
        data-testid="topic-input"
        hidden={!editing}
        onKeyDown={(event) => {
          if (event.key === 'Enter') {
            event.preventDefault();
            save();
          } else if (event.key === 'Escape') {
            // Escape here cancels the edit; it must not also close a panel.
            event.stopPropagation();
            setEditing(false);
          }
        }}
        onBlur={save}
      />
    </span>
  );
}
