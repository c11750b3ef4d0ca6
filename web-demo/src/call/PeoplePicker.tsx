import { useEffect, useMemo, useState } from 'preact/hooks';
import { imClient } from '../account/im.ts';
import { navigate } from '../app/router.ts';
import { Avatar } from '../ui/Avatar.tsx';
import { Icon } from '../ui/Icon.tsx';
import { callError, callsClient } from './state.ts';

/** At most this many people are rung at once (the server's limit). */
const MAX_RUNG = 50;

interface Pickable {
  id: string;
  name: string;
  avatar: string | null;
  /** A group: its members are rung. */
  group?: boolean;
}

function Picker({ title, people, action, onPick, onClose }: { title: string; people: Pickable[]; action: string; onPick: (ids: string[]) => Promise<void>; onClose: () => void }) {
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [q, setQ] = useState('');
  const [busy, setBusy] = useState(false);
  const shown = useMemo(() => people.filter((p) => p.name.toLowerCase().includes(q.trim().toLowerCase())), [people, q]);
  const toggle = (id: string) => {
    const next = new Set(chosen);
    if (next.has(id)) next.delete(id);
    else if (next.size < MAX_RUNG) next.add(id);
    setChosen(next);
  };
  return (
    <div class="call-picker-backdrop" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div class="call-picker" role="dialog" aria-label={title} data-testid="call-picker">
        <header>
          <strong>{title}</strong>
          <button type="button" class="call-button" aria-label="Close" onClick={onClose}>
            <Icon name="close" />
          </button>
        </header>
        <input type="search" placeholder="Search" value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)} data-testid="call-picker-search" />
        <ul>
          {shown.map((p) => (
            <li key={p.id}>
              <label>
                <input type="checkbox" checked={chosen.has(p.id)} onChange={() => toggle(p.id)} data-testid="call-picker-person" data-id={p.id} />
                <Avatar name={p.name} src={p.avatar} size="sm" />
                <span>
                  {p.name}
                  {p.group ? ' (group)' : ''}
                </span>
              </label>
            </li>
          ))}
        </ul>
        <button
          type="button"
          class="call-picker-go"
          disabled={chosen.size === 0 || busy}
          data-testid="call-picker-go"
          onClick={() => {
            setBusy(true);
            void onPick([...chosen]).finally(() => setBusy(false));
          }}
        >
          {action} ({chosen.size})
        </button>
      </div>
    </div>
  );
}

/** A group call from a group chat: pick the members to ring; a meeting of mine opens and they get its link, ringing. */
export function GroupCallPicker({ conversationId, onClose }: { conversationId: string; onClose: () => void }) {
  const [people, setPeople] = useState<Pickable[]>([]);
  useEffect(() => {
    const client = imClient.peek();
    if (!client) return;
    void client.groups.open(conversationId).then((details) =>
      setPeople(details.memberList.filter((m) => m.userId !== client.me).map((m) => ({ id: m.userId, name: m.displayName, avatar: m.avatar?.small ?? null }))),
    );
  }, [conversationId]);
  return (
    <Picker
      title="Group call: who to ring"
      people={people}
      action="Call"
      onClose={onClose}
      onPick={async (ids) => {
        const calls = callsClient.peek();
        if (!calls) return;
        try {
          const call = await calls.call(conversationId, 'video', ids);
          onClose();
          if (call.link) navigate(call.link);
        } catch (error) {
          callError.value = (error as Error).message;
        }
      }}
    />
  );
}

/** In a meeting I host: ring contacts, or the members of my groups, into it. */
export function InviteToMeetingPicker({ roomId, onClose }: { roomId: string; onClose: () => void }) {
  const client = imClient.value;
  const people = useMemo<Pickable[]>(() => {
    if (!client) return [];
    const contacts = client.contacts.snapshot.contacts.map((c) => ({ id: c.userId, name: c.displayName, avatar: c.avatar?.small ?? null }));
    const groups = client.groups.snapshot.groups.map((g) => ({ id: g.id, name: g.name, avatar: g.avatar?.small ?? null, group: true }));
    return [...contacts, ...groups];
  }, [client]);
  return (
    <Picker
      title="Invite to this meeting"
      people={people}
      action="Ring"
      onClose={onClose}
      onPick={async (ids) => {
        if (!client) return;
        const groups = new Set(people.filter((p) => p.group).map((p) => p.id));
        try {
          await client.transport.request('POST', `/me/meetings/${encodeURIComponent(roomId)}/invite`, {
            userIds: ids.filter((id) => !groups.has(id)),
            groupIds: ids.filter((id) => groups.has(id)),
          });
          onClose();
        } catch (error) {
          callError.value = (error as Error).message;
        }
      }}
    />
  );
}

/** "Ring contacts…" for a signed-in host of a meeting they own (the server refuses anyone else's meeting). */
export function InviteContactsButton({ roomId }: { roomId: string }) {
  const [open, setOpen] = useState(false);
  if (!imClient.value) return null;
  return (
    <>
      <button type="button" class="btn btn-ghost btn-sm" data-testid="host-ring-contacts" onClick={() => setOpen(true)}>
        Ring contacts…
      </button>
      {open && <InviteToMeetingPicker roomId={roomId} onClose={() => setOpen(false)} />}
    </>
  );
}
