import { Link } from '../app/Link.tsx';
import { Icon } from '../ui/Icon.tsx';
import { GroupRow } from '../contacts/ContactList.tsx';
import { Pane } from '../contacts/Pane.tsx';
import { groupsState } from '../contacts/state.ts';

/** My groups, by name in pinyin order, and a way to make one. */
export function GroupList({ selected }: { selected?: string }) {
  const snapshot = groupsState.value;
  return (
    <Pane
      title="Groups"
      testId="group-list"
      actions={
        <Link class="btn btn-primary btn-small" href="/groups/new" data-testid="group-list-new">
          <Icon name="plus" /> New group
        </Link>
      }
    >
      {snapshot.loaded && snapshot.groups.length === 0 && <p class="contacts-empty">You are in no groups yet.</p>}
      <div class="contacts-section">
        {snapshot.groups.map((g) => (
          <GroupRow key={g.id} group={g} selected={selected === g.id} />
        ))}
      </div>
    </Pane>
  );
}
