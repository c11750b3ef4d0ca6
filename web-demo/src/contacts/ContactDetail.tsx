import { useEffect, useState } from 'preact/hooks';
import type { PublicProfile } from '@muster/accounts/client';
import { Link } from '../app/Link.tsx';
import { navigate } from '../app/router.ts';
import { currentUser } from '../account/session.ts';
import { imClient } from '../account/im.ts';
import { PresenceLine } from '../chats/presence.tsx';
import '../chats/search.css';
import { PhoneIcon } from '../call/CallButtons.tsx';
import { callSnapshot, startCall } from '../call/state.ts';
import { Avatar } from '../ui/Avatar.tsx';
import { Icon } from '../ui/Icon.tsx';
import { ProfileCard } from './AddFriend.tsx';
import { ConfirmButton, Pane } from './Pane.tsx';
import { profilePath } from '../moments/paths.ts';
import { chatPath } from './paths.ts';
import { contactsState, errorText, im } from './state.ts';
import { contactSubtitle, parseTags } from './viewModels.ts';

/**
 * A contact's page: their picture and names, my remark and tags for them
 * (edited in place, saved at once), their Muster ID, "Message", and delete
 * or block. Someone who is not (or no longer) a contact gets their card with
 * an "add" button instead.
 */
export function ContactDetail({ userId }: { userId: string }) {
  const snapshot = contactsState.value;
  const contact = snapshot.contacts.find((c) => c.userId === userId);
  const [error, setError] = useState('');
  const [opening, setOpening] = useState(false);
  const [stranger, setStranger] = useState<PublicProfile | null | 'missing'>(null);

  useEffect(() => {
    // Blocks are listed on demand; the page says "Unblock" when it applies.
    if (snapshot.blocked === null) void im().contacts.loadBlocked().catch(() => undefined);
  }, []);
  useEffect(() => {
    if (contact || !snapshot.loaded || stranger !== null) return;
    im()
      .contacts.profile(userId)
      .then(setStranger, () => setStranger('missing'));
  }, [contact, snapshot.loaded]);

  if (!contact) {
    return (
      <Pane title="Profile" testId="contact-detail">
        {stranger === 'missing' ? <p class="contacts-empty">This person is not in your contacts.</p> : stranger ? <ProfileCard person={stranger} /> : null}
      </Pane>
    );
  }

  const blocked = im().contacts.isBlocked(userId);
  const run = (work: Promise<unknown>) => {
    setError('');
    work.catch((e: unknown) => setError(errorText(e)));
  };
  const message = async () => {
    setOpening(true);
    setError('');
    try {
      const conversation = await im().conversations.openDirect(userId);
      navigate(chatPath(conversation.id));
    } catch (e) {
      setError(errorText(e));
      setOpening(false);
    }
  };

  // A call from here, as from WeChat's contact card: the conversation first (the call record lands there).
  const call = async (media: 'voice' | 'video') => {
    setError('');
    try {
      const conversation = await im().conversations.openDirect(userId);
      await startCall(conversation.id, media, { id: userId, name: contact.displayName, avatar: contact.avatar?.large ?? null });
    } catch (e) {
      setError(errorText(e));
    }
  };
  const isMe = currentUser.value?.id === userId;
  const inCall = !!callSnapshot.value.current;

  return (
    <Pane title={contact.displayName} testId="contact-detail">
      <div class="contact-hero" data-user-id={userId}>
        <Avatar name={contact.displayName} src={contact.avatar?.large ?? contact.avatar?.small} size="lg" />
        <div class="contact-hero-text">
          <p class="contact-hero-name" data-testid="contact-name">
            {contact.displayName}
          </p>
          <PresenceLine client={imClient.value} userId={userId} class="contact-presence" testId="contact-presence" />
          {contactSubtitle(contact) && <p class="muted">{contactSubtitle(contact)}</p>}
          {contact.remark && contact.musterId && <p class="muted">Muster ID: {contact.musterId}</p>}
          {blocked && (
            <p class="contact-blocked" data-testid="contact-blocked">
              <Icon name="ban" /> Blocked
            </p>
          )}
        </div>
      </div>

      <div class="contact-fields">
        <RemarkField key={`r${contact.userId}`} value={contact.remark ?? ''} onSave={(v) => run(im().contacts.setRemark(userId, v))} />
        <TagsField key={`t${contact.userId}`} tags={contact.tags} onSave={(tags) => run(im().contacts.setTags(userId, tags))} />
      </div>

      <p class="form-error" role="alert" data-testid="contact-error">
        {error}
      </p>
      <div class="contact-actions">
        <button class="btn btn-primary btn-block" type="button" disabled={opening || isMe} data-testid="contact-message" onClick={() => void message()}>
          <Icon name="chat" /> Message
        </button>
        <div class="contact-call-row">
          <button class="btn btn-ghost" type="button" disabled={isMe || inCall || blocked} data-testid="contact-voice-call" onClick={() => void call('voice')}>
            <PhoneIcon /> Voice call
          </button>
          <button class="btn btn-ghost" type="button" disabled={isMe || inCall || blocked} data-testid="contact-video-call" onClick={() => void call('video')}>
            <Icon name="video" /> Video call
          </button>
        </div>
        <Link class="btn btn-ghost btn-block" href={profilePath(userId)} data-testid="contact-moments">
          <Icon name="aperture" /> Moments
        </Link>
        {blocked ? (
          <button class="btn btn-ghost btn-block" type="button" data-testid="contact-unblock" onClick={() => run(im().contacts.unblock(userId))}>
            Unblock
          </button>
        ) : (
          <ConfirmButton
            label="Block"
            question={`Block ${contact.displayName}? They cannot message, call or ask you until you unblock them.`}
            confirm="Block"
            testId="contact-block"
            run={() => run(im().contacts.block(userId))}
          />
        )}
        <ConfirmButton
          label="Delete contact"
          question={`Delete ${contact.displayName} from your contacts? You leave theirs too.`}
          confirm="Delete"
          testId="contact-delete"
          run={() => {
            navigate('/contacts', { replace: true });
            run(im().contacts.remove(userId));
          }}
        />
      </div>
    </Pane>
  );
}

/** My name for them: shown as a row; a tap edits it in place; Enter or Save keeps it, Escape cancels. */
function RemarkField({ value, onSave }: { value: string; onSave: (value: string) => void }) {
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(value);
  if (!editing) {
    return (
      <button
        class="field-row-btn"
        type="button"
        data-testid="contact-remark"
        onClick={() => {
          setText(value);
          setEditing(true);
        }}
      >
        <span class="field-row-label">Remark</span>
        <span class={`field-row-value${value ? '' : ' placeholder'}`} data-testid="contact-remark-value">
          {value || 'Add a remark'}
        </span>
        <Icon name="edit" />
      </button>
    );
  }
  const save = (e: Event) => {
    e.preventDefault();
    setEditing(false);
    if (text.trim() !== value) onSave(text.trim());
  };
  return (
    <form class="field-row-edit" noValidate onSubmit={save}>
      <label class="field-row-label" for="contact-remark-input">
        Remark
      </label>
      <input
        id="contact-remark-input"
        class="input input-sm"
        type="text"
        maxLength={40}
        placeholder="Your name for them"
        autoFocus
        data-testid="contact-remark-input"
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => e.key === 'Escape' && setEditing(false)}
      />
      <button class="btn btn-primary btn-small" type="submit" data-testid="contact-remark-save">
        Save
      </button>
    </form>
  );
}

/** Tags: chips; edit as one comma-separated line. */
function TagsField({ tags, onSave }: { tags: string[]; onSave: (tags: string[]) => void }) {
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(tags.join(', '));
  if (!editing) {
    return (
      <button
        class="field-row-btn"
        type="button"
        data-testid="contact-tags"
        onClick={() => {
          setText(tags.join(', '));
          setEditing(true);
        }}
      >
        <span class="field-row-label">Tags</span>
        <span class="field-row-value tag-list" data-testid="contact-tags-value">
          {tags.length === 0 ? <span class="placeholder">Add tags</span> : tags.map((t) => <span key={t} class="tag-chip">{t}</span>)}
        </span>
        <Icon name="edit" />
      </button>
    );
  }
  const save = (e: Event) => {
    e.preventDefault();
    setEditing(false);
    const next = parseTags(text);
    if (next.join('\u0000') !== tags.join('\u0000')) onSave(next);
  };
  return (
    <form class="field-row-edit" noValidate onSubmit={save}>
      <label class="field-row-label" for="contact-tags-input">
        Tags
      </label>
      <input
        id="contact-tags-input"
        class="input input-sm"
        type="text"
        maxLength={400}
        placeholder="Colleague, family…"
        autoFocus
        data-testid="contact-tags-input"
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => e.key === 'Escape' && setEditing(false)}
      />
      <button class="btn btn-primary btn-small" type="submit" data-testid="contact-tags-save">
        Save
      </button>
    </form>
  );
}
