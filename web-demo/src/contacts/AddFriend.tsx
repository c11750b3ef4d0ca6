import { useState } from 'preact/hooks';
import type { PublicProfile } from '@muster/accounts/client';
import { Link } from '../app/Link.tsx';
import { currentUser } from '../account/session.ts';
import { Avatar } from '../ui/Avatar.tsx';
import { Icon } from '../ui/Icon.tsx';
import { Pane } from './Pane.tsx';
import { contactPath } from './paths.ts';
import { contactsState, errorText, im } from './state.ts';
import { parseLookup } from './viewModels.ts';

type Found = { person: PublicProfile } | { none: string } | null;

/**
 * Add a friend: their phone number or Muster ID (an exact match, never a
 * list of people), their card, a greeting, and the request.
 */
export function AddFriend() {
  const [text, setText] = useState('');
  const [found, setFound] = useState<Found>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');

  const search = async (e: Event) => {
    e.preventDefault();
    const query = parseLookup(text);
    setError('');
    if (!query) return setError('Enter a phone number or a Muster ID.');
    setBusy(true);
    try {
      const person = await im().contacts.lookup(query);
      setFound(person ? { person } : { none: 'phone' in query ? 'No one has this phone number.' : 'No one has this Muster ID.' });
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Pane title="Add friend" back="/contacts/new-friends" testId="add-friend">
      <form class="add-friend-form" noValidate onSubmit={(e) => void search(e)} data-testid="add-friend-form">
        <label class="contacts-search">
          <Icon name="search" />
          <span class="visually-hidden">Phone number or Muster ID</span>
          <input
            type="search"
            placeholder="Phone number or Muster ID"
            autocomplete="off"
            autocapitalize="off"
            spellcheck={false}
            enterKeyHint="search"
            maxLength={40}
            data-testid="add-friend-query"
            value={text}
            onInput={(e) => {
              setText(e.currentTarget.value);
              setFound(null);
              setError('');
            }}
          />
        </label>
        <button class="btn btn-primary btn-small" type="submit" disabled={busy || !text.trim()} data-testid="add-friend-search">
          Search
        </button>
      </form>
      <p class="form-error" role="alert" data-testid="add-friend-error">
        {error}
      </p>
      {found && 'none' in found && (
        <p class="contacts-empty" data-testid="add-friend-none">
          {found.none}
        </p>
      )}
      {found && 'person' in found && <ProfileCard key={found.person.id} person={found.person} />}
    </Pane>
  );
}

/** A found person: who they are, and a request with a greeting (or where they already stand). */
export function ProfileCard({ person }: { person: PublicProfile }) {
  const me = currentUser.value;
  const contacts = contactsState.value;
  const [greeting, setGreeting] = useState(me ? `I'm ${me.nickname}` : '');
  const [sent, setSent] = useState<'pending' | 'accepted' | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const isMe = me?.id === person.id;
  const isContact = contacts.contacts.some((c) => c.userId === person.id);
  const waiting = contacts.requests.some((r) => r.to.id === person.id && r.state === 'pending');

  const send = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      setSent((await im().contacts.sendRequest(person.id, greeting)).state);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="profile-card" data-testid="add-friend-card" data-user-id={person.id}>
      <div class="profile-card-head">
        <Avatar name={person.nickname} src={person.avatar?.small} size="md" />
        <div>
          <p class="profile-card-name" data-testid="add-friend-name">
            {person.nickname}
          </p>
          {person.musterId && <p class="muted">Muster ID: {person.musterId}</p>}
        </div>
      </div>
      {isMe ? (
        <p class="muted">This is you.</p>
      ) : isContact || sent === 'accepted' ? (
        <Link class="btn btn-primary" href={contactPath(person.id)} data-testid="add-friend-view">
          {sent === 'accepted' ? 'You are now friends: view' : 'Already a contact: view'}
        </Link>
      ) : sent === 'pending' ? (
        <p class="form-info" role="status" data-testid="add-friend-sent">
          Request sent. They will see it in New friends.
        </p>
      ) : (
        <form class="greeting-form" noValidate onSubmit={(e) => void send(e)}>
          <label class="field">
            <span class="field-label">Greeting</span>
            <input class="input" type="text" maxLength={100} data-testid="add-friend-greeting" value={greeting} onInput={(e) => setGreeting(e.currentTarget.value)} />
          </label>
          {waiting && <p class="muted">You asked already; sending again reminds them.</p>}
          <p class="form-error" role="alert" data-testid="add-friend-send-error">
            {error}
          </p>
          <button class="btn btn-primary" type="submit" disabled={busy} data-testid="add-friend-send">
            Send friend request
          </button>
        </form>
      )}
    </div>
  );
}
