import { useState } from 'preact/hooks';
import { navigate } from '../app/router.ts';
import { currentUser } from '../account/session.ts';
import { Pane } from '../contacts/Pane.tsx';
import { chatPath } from '../contacts/paths.ts';
import { contactsState, errorText, im } from '../contacts/state.ts';
import { ContactPicker } from './ContactPicker.tsx';
import { defaultGroupName } from './groupViewModels.ts';

/**
 * A new group: pick contacts (checkboxes, A–Z rail, search), name it (or
 * keep the names of the first few, as WeChat does), create, and go to its chat.
 */
export function NewGroup() {
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [name, setName] = useState('');
  const [temporary, setTemporary] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const contacts = contactsState.value.contacts;
  const names = [currentUser.value?.nickname ?? '', ...[...picked].map((id) => contacts.find((c) => c.userId === id)?.displayName ?? '')];
  const fallback = defaultGroupName(names);

  const create = async (e: Event) => {
    e.preventDefault();
    if (picked.size === 0) return setError('Pick at least one contact.');
    setBusy(true);
    setError('');
    try {
      const group = await im().groups.create({ name: name.trim() || fallback, members: [...picked], ...(temporary ? { temporary: {} } : {}) });
      navigate(chatPath(group.conversationId), { replace: true });
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };

  return (
    <Pane title="New group" testId="new-group">
      <form class="new-group-form" noValidate onSubmit={(e) => void create(e)}>
        <label class="field">
          <span class="field-label">Group name</span>
          <input class="input" type="text" maxLength={60} placeholder={fallback || 'Name the group'} data-testid="new-group-name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label class="check">
          <input type="checkbox" checked={temporary} onChange={(e) => setTemporary(e.currentTarget.checked)} data-testid="new-group-temporary" />
          Temporary: cleared when nobody writes for a while
        </label>
        <ContactPicker picked={picked} onChange={setPicked} />
        <p class="form-error" role="alert" data-testid="new-group-error">
          {error}
        </p>
        <button class="btn btn-primary btn-block sticky-submit" type="submit" disabled={busy || picked.size === 0} data-testid="new-group-create">
          {picked.size === 0 ? 'Create group' : `Create group (${picked.size + 1})`}
        </button>
      </form>
    </Pane>
  );
}
