import { useEffect, useMemo, useState } from 'preact/hooks';
import { NameMatcher, type GroupDetailsView, type GroupMemberView, type JoinRequestView } from '@muster/im/client';
import { navigate } from '../app/router.ts';
import { Avatar } from '../ui/Avatar.tsx';
import { Icon } from '../ui/Icon.tsx';
import { PopoverMenuLayer, showMenu, type MenuItem } from '../ui/PopoverMenu.tsx';
import { ConfirmButton, Pane } from '../contacts/Pane.tsx';
import { chatPath, contactPath } from '../contacts/paths.ts';
import { errorText, groupsState, im, pinyinReady } from '../contacts/state.ts';
import { ExportDialog } from '../chats/ExportDialog.tsx';
import { ContactPicker } from './ContactPicker.tsx';
import { MUTE_CHOICES, isMuted, memberBadges } from './groupViewModels.ts';

const matcher = new NameMatcher();
/** Members drawn before "Show all" (a group holds up to 1000). */
const FIRST_MEMBERS = 60;

/**
 * A group's info: its members (searchable, with roles and mutes; the owner
 * and admins act on them from a menu), inviting contacts, its name and
 * notice, its settings, join requests waiting, "Message", leave or dissolve.
 * Only what my role allows is shown; every change shows at once.
 */
/**
 * The group's photo: the owner and admins tap it to choose a new one (the
 * server crops and shrinks it, as a person's) or remove it; others see it.
 */
function GroupPhoto({ name, avatar, editable, onUpload, onRemove }: { name: string; avatar: GroupDetailsView['avatar']; editable: boolean; onUpload: (file: File) => void; onRemove: () => void }) {
  const picture = <Avatar name={name} src={avatar?.large} size="lg" testId="group-avatar" />;
  if (!editable) return <div class="group-photo">{picture}</div>;
  return (
    <div class="group-photo">
      <label class="group-photo-pick" title={avatar ? 'Change the group photo' : 'Add a group photo'}>
        {picture}
        <span class="group-photo-label">{avatar ? 'Change photo' : 'Add a photo'}</span>
        <input
          class="visually-hidden"
          type="file"
          accept="image/jpeg,image/png,image/webp,image/gif"
          data-testid="group-avatar-input"
          onChange={(e) => {
            const input = e.currentTarget;
            const file = input.files?.[0];
            input.value = '';
            if (file) onUpload(file);
          }}
        />
      </label>
      {avatar && (
        <button class="btn btn-ghost btn-small" type="button" data-testid="group-avatar-remove" onClick={onRemove}>
          Remove photo
        </button>
      )}
    </div>
  );
}

export function GroupInfo({ groupId }: { groupId: string }) {
  const details = groupsState.value.details[groupId];
  pinyinReady.value;
  const [missing, setMissing] = useState(false);
  const [error, setError] = useState('');
  const [query, setQuery] = useState('');
  const [showAll, setShowAll] = useState(false);
  const [inviting, setInviting] = useState<Set<string> | null>(null);
  const [confirm, setConfirm] = useState<{ question: string; label: string; run: () => Promise<unknown> } | null>(null);
  const [requests, setRequests] = useState<JoinRequestView[]>([]);
  const [info, setInfo] = useState('');
  const [exporting, setExporting] = useState(false);

  useEffect(() => {
    im()
      .groups.open(groupId)
      .catch(() => setMissing(true));
    return () => im().groups.close(groupId);
  }, [groupId]);

  const may = im().groups.permissions(groupId);
  useEffect(() => {
    if (!may.manage) return;
    im()
      .groups.joinRequests(groupId)
      .then(setRequests, () => undefined);
  }, [may.manage, details?.joinApproval, details?.members]);

  const members = useMemo(() => {
    if (!details) return [];
    const q = query.trim();
    const matches = matcher.matcher(q);
    return q ? details.memberList.filter((m) => matches([m.displayName, m.nickname])) : details.memberList;
  }, [details?.memberList, query, pinyinReady.value]);

  if (!details) {
    return (
      <Pane title="Group info" testId="group-info">
        {missing ? <p class="contacts-empty">This group is not available: you may have left it, or it was dissolved.</p> : <p class="muted">Loading…</p>}
      </Pane>
    );
  }

  const act = (work: () => Promise<unknown>, done?: string) => {
    setError('');
    setInfo('');
    work().then(
      () => done && setInfo(done),
      (e: unknown) => setError(errorText(e)),
    );
  };
  const me = im().me;
  const now = Date.now();
  const dissolved = details.dissolvedAt !== null;

  const memberMenu = (anchor: HTMLElement, m: GroupMemberView) => {
    const items: MenuItem[] = [];
    if (m.userId !== me) items.push({ label: 'View profile', testId: 'member-profile', run: () => navigate(contactPath(m.userId)) });
    if (may.setAdmin(m)) {
      items.push(
        m.role === 'admin'
          ? { label: 'Remove admin', testId: 'member-unadmin', run: () => act(() => im().groups.setAdmin(groupId, m.userId, false)) }
          : { label: 'Make admin', testId: 'member-admin', run: () => act(() => im().groups.setAdmin(groupId, m.userId, true)) },
      );
    }
    if (may.mute(m)) {
      if (isMuted(m, now)) items.push({ label: 'Unmute', testId: 'member-unmute', run: () => act(() => im().groups.unmute(groupId, m.userId)) });
      else
        for (const [i, choice] of MUTE_CHOICES.entries()) {
          items.push({ label: choice.label, testId: `member-mute-${i}`, run: () => act(() => im().groups.mute(groupId, m.userId, choice.ms === null ? undefined : Date.now() + choice.ms)) });
        }
    }
    if (may.transfer && m.userId !== me) {
      items.push({
        label: 'Make owner',
        testId: 'member-transfer',
        run: () => setConfirm({ question: `Make ${m.displayName} the owner? You become an admin.`, label: 'Make owner', run: () => im().groups.transfer(groupId, m.userId) }),
      });
    }
    if (may.remove(m)) {
      items.push({
        label: 'Remove from group',
        testId: 'member-remove',
        danger: true,
        run: () => setConfirm({ question: `Remove ${m.displayName} from the group?`, label: 'Remove', run: () => im().groups.removeMember(groupId, m.userId) }),
      });
    }
    if (items.length === 0) return;
    if (items.length === 1 && items[0]!.testId === 'member-profile') return void items[0]!.run();
    showMenu(anchor, items, 'member-menu');
  };

  const shown = showAll || query.trim() ? members : members.slice(0, FIRST_MEMBERS);

  return (
    <Pane title={`${details.name} (${details.members})`} testId="group-info">
      <PopoverMenuLayer />
      {dissolved && <p class="contact-blocked">This group was dissolved.</p>}
      <p class="form-error" role="alert" data-testid="group-error">
        {error}
      </p>
      <p class="form-info" role="status" data-testid="group-info-status">
        {info}
      </p>
      {confirm && (
        <div class="confirm-row" role="alertdialog" aria-label={confirm.question} data-testid="group-confirm">
          <p>{confirm.question}</p>
          <div class="confirm-actions">
            <button class="btn btn-ghost btn-small" type="button" onClick={() => setConfirm(null)} data-testid="group-confirm-cancel">
              Cancel
            </button>
            <button
              class="btn btn-danger btn-small"
              type="button"
              data-testid="group-confirm-yes"
              onClick={() => {
                const run = confirm.run;
                setConfirm(null);
                act(run);
              }}
            >
              {confirm.label}
            </button>
          </div>
        </div>
      )}

      <GroupPhoto
        name={details.name}
        avatar={details.avatar}
        editable={may.manage}
        onUpload={(file) => act(() => im().groups.setAvatar(groupId, file), 'New group photo saved.')}
        onRemove={() => act(() => im().groups.removeAvatar(groupId), 'Group photo removed.')}
      />

      <section class="group-block">
        <div class="group-block-head">
          <h2>Members</h2>
          {may.invite && inviting === null && (
            <button class="btn btn-ghost btn-small" type="button" data-testid="group-invite" onClick={() => setInviting(new Set())}>
              <Icon name="userAdd" /> Add
            </button>
          )}
        </div>
        {inviting !== null ? (
          <InvitePanel
            details={details}
            picked={inviting}
            onChange={setInviting}
            onCancel={() => setInviting(null)}
            onInvite={() => {
              const ids = [...inviting];
              setInviting(null);
              act(async () => {
                const result = await im().groups.invite(groupId, ids);
                if (result.requested.length > 0) setInfo(`${result.requested.length} waiting for approval by the owner or an admin.`);
              });
            }}
          />
        ) : (
          <>
            {details.members > 8 && (
              <label class="contacts-search">
                <Icon name="search" />
                <span class="visually-hidden">Search members</span>
                <input type="search" placeholder="Search members" spellcheck={false} data-testid="member-search" value={query} onInput={(e) => setQuery(e.currentTarget.value)} />
              </label>
            )}
            <ul class="member-list" data-testid="member-list">
              {shown.map((m) => (
                <li key={m.userId}>
                  <button class="contact-row member-row" type="button" data-testid="member-row" data-user-id={m.userId} onClick={(e) => memberMenu(e.currentTarget, m)}>
                    <Avatar name={m.displayName} src={m.avatar?.small} />
                    <span class="contact-name">
                      {m.displayName}
                      {m.userId === me && <span class="muted"> (you)</span>}
                    </span>
                    {memberBadges(m, now).map((b) => (
                      <span key={b} class={`role-badge role-${b.toLowerCase()}`} data-testid="member-badge">
                        {b}
                      </span>
                    ))}
                  </button>
                </li>
              ))}
            </ul>
            {shown.length < members.length && (
              <button class="btn btn-ghost btn-small" type="button" data-testid="member-show-all" onClick={() => setShowAll(true)}>
                Show all {members.length}
              </button>
            )}
          </>
        )}
      </section>

      <section class="group-block">
        <TextSetting label="Group name" value={details.name} editable={may.manage} maxLength={60} testId="group-name" onSave={(name) => name && act(() => im().groups.update(groupId, { name }))} />
        <TextSetting label="Notice" value={details.notice} editable={may.manage} maxLength={2000} multiline testId="group-notice" onSave={(notice) => act(() => im().groups.update(groupId, { notice }))} />
      </section>

      {may.manage && (
        <section class="group-block">
          <label class="check switch-row">
            <span>Invitations need approval</span>
            <input type="checkbox" checked={details.joinApproval} data-testid="group-join-approval" onChange={(e) => act(() => im().groups.update(groupId, { joinApproval: e.currentTarget.checked }))} />
          </label>
          <label class="check switch-row">
            <span>Mute all (only the owner and admins send)</span>
            <input type="checkbox" checked={details.muteAll} data-testid="group-mute-all" onChange={(e) => act(() => im().groups.update(groupId, { muteAll: e.currentTarget.checked }))} />
          </label>
          <label class="check switch-row">
            <span>Only owner and admins can export</span>
            <input
              type="checkbox"
              checked={details.exportAdminsOnly === true}
              data-testid="group-export-admins-only"
              onChange={(e) => act(() => im().groups.update(groupId, { exportAdminsOnly: e.currentTarget.checked }))}
            />
          </label>
        </section>
      )}

      {may.manage && requests.length > 0 && (
        <section class="group-block" data-testid="join-requests">
          <h2>Waiting to join</h2>
          <ul class="request-list">
            {requests.map((r) => (
              <li key={r.id} class="request-row">
                <Avatar name={r.user.nickname} src={r.user.avatar?.small} />
                <div class="request-main">
                  <span class="request-name">{r.user.nickname}</span>
                  <span class="request-greeting">Invited by {details.memberList.find((m) => m.userId === r.inviterId)?.displayName ?? 'a member'}</span>
                </div>
                <div class="request-actions">
                  <button class="btn btn-ghost btn-small" type="button" onClick={() => act(async () => (await im().groups.answerJoinRequest(groupId, r.id, false), setRequests((x) => x.filter((y) => y.id !== r.id))))}>
                    Decline
                  </button>
                  <button class="btn btn-primary btn-small" type="button" onClick={() => act(async () => (await im().groups.answerJoinRequest(groupId, r.id, true), setRequests((x) => x.filter((y) => y.id !== r.id))))}>
                    Approve
                  </button>
                </div>
              </li>
            ))}
          </ul>
        </section>
      )}

      <div class="contact-actions">
        <button class="btn btn-primary btn-block" type="button" data-testid="group-message" onClick={() => navigate(chatPath(details.conversationId))}>
          <Icon name="chat" /> Message
        </button>
        <button class="btn btn-block" type="button" disabled={!may.export} aria-describedby={may.export ? undefined : 'group-export-locked'} data-testid="group-export" onClick={() => setExporting(true)}>
          Export chat…
        </button>
        {!may.export && details.exportAdminsOnly && (
          <p class="export-locked muted" id="group-export-locked" data-testid="group-export-locked">
            Only the owner and admins can export this group’s chat.
          </p>
        )}
        {may.leave && (
          <ConfirmButton
            label="Leave group"
            question={`Leave ${details.name}? You will no longer get its messages.`}
            confirm="Leave"
            testId="group-leave"
            run={() => {
              navigate('/contacts/groups', { replace: true });
              act(() => im().groups.leave(groupId));
            }}
          />
        )}
        {may.dissolve && (
          <ConfirmButton
            label="Dissolve group"
            question={`Dissolve ${details.name} for everyone? Nobody can send to it again.`}
            confirm="Dissolve"
            testId="group-dissolve"
            run={() => {
              navigate('/contacts/groups', { replace: true });
              act(() => im().groups.dissolve(groupId));
            }}
          />
        )}
      </div>
      {exporting && (
        <ExportDialog
          client={im()}
          conversationId={details.conversationId}
          title={details.name}
          onClose={(done) => {
            setExporting(false);
            if (done) setInfo(done);
          }}
        />
      )}
    </Pane>
  );
}

function InvitePanel({ details, picked, onChange, onCancel, onInvite }: { details: GroupDetailsView; picked: Set<string>; onChange: (s: Set<string>) => void; onCancel: () => void; onInvite: () => void }) {
  const fixed = useMemo(() => new Set(details.memberList.map((m) => m.userId)), [details.memberList]);
  return (
    <div class="invite-panel" data-testid="invite-panel">
      <ContactPicker picked={picked} onChange={onChange} fixed={fixed} />
      <div class="confirm-actions">
        <button class="btn btn-ghost btn-small" type="button" onClick={onCancel}>
          Cancel
        </button>
        <button class="btn btn-primary btn-small" type="button" disabled={picked.size === 0} data-testid="invite-send" onClick={onInvite}>
          Invite {picked.size > 0 ? `(${picked.size})` : ''}
        </button>
      </div>
    </div>
  );
}

/** A setting shown as text; the owner and admins edit it in place. */
function TextSetting({ label, value, editable, maxLength, multiline = false, testId, onSave }: { label: string; value: string; editable: boolean; maxLength: number; multiline?: boolean; testId: string; onSave: (value: string) => void }) {
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(value);
  if (!editing) {
    const body = (
      <>
        <span class="field-row-label">{label}</span>
        <span class={`field-row-value${value ? '' : ' placeholder'}${multiline ? ' multiline' : ''}`} data-testid={`${testId}-value`}>
          {value || (editable ? `Set the ${label.toLowerCase()}` : 'None')}
        </span>
        {editable && <Icon name="edit" />}
      </>
    );
    return editable ? (
      <button
        class="field-row-btn"
        type="button"
        data-testid={testId}
        onClick={() => {
          setText(value);
          setEditing(true);
        }}
      >
        {body}
      </button>
    ) : (
      <div class="field-row-btn static" data-testid={testId}>
        {body}
      </div>
    );
  }
  const save = (e: Event) => {
    e.preventDefault();
    setEditing(false);
    if (text.trim() !== value) onSave(text.trim());
  };
  return (
    <form class={`field-row-edit${multiline ? ' multiline' : ''}`} noValidate onSubmit={save}>
      <span class="field-row-label">{label}</span>
      {multiline ? (
        <textarea class="input textarea notice-input" maxLength={maxLength} autoFocus data-testid={`${testId}-input`} value={text} onInput={(e) => setText(e.currentTarget.value)} />
      ) : (
        <input class="input input-sm" type="text" maxLength={maxLength} autoFocus data-testid={`${testId}-input`} value={text} onInput={(e) => setText(e.currentTarget.value)} onKeyDown={(e) => e.key === 'Escape' && setEditing(false)} />
      )}
      <div class="confirm-actions">
        <button class="btn btn-ghost btn-small" type="button" onClick={() => setEditing(false)}>
          Cancel
        </button>
        <button class="btn btn-primary btn-small" type="submit" data-testid={`${testId}-save`}>
          Save
        </button>
      </div>
    </form>
  );
}
