import type { ConversationView } from '@muster/im/client';
import { useState } from 'preact/hooks';
import { Icon } from '../ui/Icon.tsx';
import { GroupCallPicker } from './PeoplePicker.tsx';
import { callSnapshot, startCall } from './state.ts';

/** A phone receiver. */
export function PhoneIcon({ class: className = 'icon' }: { class?: string }) {
  return (
    <svg class={className} viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">
      <path d="M22 16.9v3a2 2 0 0 1-2.2 2 19.8 19.8 0 0 1-8.6-3.1 19.5 19.5 0 0 1-6-6A19.8 19.8 0 0 1 2.1 4.2 2 2 0 0 1 4.1 2h3a2 2 0 0 1 2 1.7c.1.9.4 1.8.7 2.7a2 2 0 0 1-.5 2.1L8 9.8a16 16 0 0 0 6 6l1.3-1.3a2 2 0 0 1 2.1-.4c.9.3 1.8.6 2.7.7a2 2 0 0 1 1.7 2z" />
    </svg>
  );
}

/**
 * Voice and video call buttons for a conversation's header. In a group
 * conversation one button picks the members to ring into a new meeting.
 * Disabled while a call is on.
 */
export function CallButtons({ conversation }: { conversation: Pick<ConversationView, 'id' | 'kind' | 'peer'> }) {
  const [picking, setPicking] = useState(false);
  if (conversation.kind === 'group') {
    return (
      <span class="call-buttons">
        <button type="button" class="call-button" title="Group call" aria-label="Group call" data-testid="call-group" onClick={() => setPicking(true)}>
          <Icon name="video" />
        </button>
        {picking && <GroupCallPicker conversationId={conversation.id} onClose={() => setPicking(false)} />}
      </span>
    );
  }
  if (!conversation.peer) return null;
  const peer = conversation.peer;
  const busy = !!callSnapshot.value.current;
  const call = (media: 'voice' | 'video') => void startCall(conversation.id, media, { id: peer.id, name: peer.nickname, avatar: peer.avatar?.large ?? null });
  return (
    <span class="call-buttons">
      <button type="button" class="call-button" title="Voice call" aria-label="Voice call" data-testid="call-voice" disabled={busy} onClick={() => call('voice')}>
        <PhoneIcon />
      </button>
      <button type="button" class="call-button" title="Video call" aria-label="Video call" data-testid="call-video" disabled={busy} onClick={() => call('video')}>
        <Icon name="video" />
      </button>
    </span>
  );
}
