import { useEffect, useState } from 'preact/hooks';
import { Avatar } from '../ui/Avatar.tsx';
import { Pane } from './Pane.tsx';
import { contactsState, errorText, im } from './state.ts';

/** People I blocked (they cannot message, call or ask me), each with "Unblock". */
export function BlockedList() {
  const blocked = contactsState.value.blocked;
  const [error, setError] = useState('');
  useEffect(() => {
    void im()
      .contacts.loadBlocked()
      .catch((e: unknown) => setError(errorText(e)));
  }, []);
  return (
    <Pane title="Blocked people" testId="blocked-list">
      <p class="form-error" role="alert">
        {error}
      </p>
      {blocked !== null && blocked.length === 0 && <p class="contacts-empty">You have blocked nobody.</p>}
      <ul class="request-list">
        {(blocked ?? []).map((person) => (
          <li key={person.id} class="request-row" data-testid="blocked-row" data-user-id={person.id}>
            <Avatar name={person.nickname} src={person.avatar?.small} />
            <div class="request-main">
              <span class="request-name">{person.nickname}</span>
              {person.musterId && <span class="request-greeting">Muster ID: {person.musterId}</span>}
            </div>
            <button
              class="btn btn-ghost btn-small"
              type="button"
              data-testid="blocked-unblock"
              onClick={() => {
                setError('');
                im()
                  .contacts.unblock(person.id)
                  .catch((e: unknown) => setError(errorText(e)));
              }}
            >
              Unblock
            </button>
          </li>
        ))}
      </ul>
    </Pane>
  );
}
