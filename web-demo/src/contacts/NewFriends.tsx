import { useState } from 'preact/hooks';
import { Link } from '../app/Link.tsx';
import { Avatar } from '../ui/Avatar.tsx';
import { Icon } from '../ui/Icon.tsx';
import { Pane } from './Pane.tsx';
import { contactPath } from './paths.ts';
import { contactsState, errorText, im } from './state.ts';
import { requestRow } from './viewModels.ts';

/**
 * "New friends": requests to me (accept or decline, at once) and mine to
 * others (waiting, added…), newest first, each with its greeting.
 */
export function NewFriends() {
  const snapshot = contactsState.value;
  const me = im().me;
  const [error, setError] = useState('');
  const now = Date.now();
  const rows = snapshot.requests.map((r) => requestRow(r, me, now));
  const answer = (id: string, accept: boolean) => {
    setError('');
    const store = im().contacts;
    (accept ? store.accept(id) : store.decline(id)).catch((e: unknown) => setError(errorText(e)));
  };
  return (
    <Pane
      title="New friends"
      testId="new-friends"
      actions={
        <Link class="btn btn-primary btn-small" href="/contacts/add" data-testid="new-friends-add">
          <Icon name="userAdd" /> Add friend
        </Link>
      }
    >
      <p class="form-error" role="alert" data-testid="new-friends-error">
        {error}
      </p>
      {snapshot.loaded && rows.length === 0 && <p class="contacts-empty">No friend requests yet.</p>}
      <ul class="request-list">
        {rows.map((row) => (
          <li key={row.id} class="request-row" data-testid="request-row" data-request-id={row.id} data-user-id={row.person.id} data-incoming={row.incoming ? '1' : '0'}>
            <Avatar name={row.person.nickname} src={row.person.avatar?.small} />
            <div class="request-main">
              {snapshot.contacts.some((c) => c.userId === row.person.id) ? (
                <Link class="request-name" href={contactPath(row.person.id)}>
                  {row.person.nickname}
                </Link>
              ) : (
                <span class="request-name">{row.person.nickname}</span>
              )}
              <span class="request-greeting" data-testid="request-greeting">
                {row.greeting ?? (row.incoming ? 'Wants to be your friend' : 'You asked to be friends')}
              </span>
            </div>
            {row.actions ? (
              <div class="request-actions">
                <button class="btn btn-ghost btn-small" type="button" data-testid="request-decline" onClick={() => answer(row.id, false)}>
                  Decline
                </button>
                <button class="btn btn-primary btn-small" type="button" data-testid="request-accept" onClick={() => answer(row.id, true)}>
                  Accept
                </button>
              </div>
            ) : (
              <span class="request-status" data-testid="request-status">
                {row.status}
              </span>
            )}
          </li>
        ))}
      </ul>
    </Pane>
  );
}
