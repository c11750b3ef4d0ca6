import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { RAIL_LETTERS, type ContactView, type GroupView } from '@muster/im/client';
import { Link } from '../app/Link.tsx';
import { Avatar } from '../ui/Avatar.tsx';
import { Icon } from '../ui/Icon.tsx';
import { AzRail } from './AzRail.tsx';
import { sectionFor } from './azRail.ts';
import { contactPath, groupPath } from './paths.ts';
import { contactsState, groupsState, im, listMemory, pinyinReady } from './state.ts';
import { badgeText, firstRows } from './viewModels.ts';

/** Rows drawn in the first frame; the rest follow a frame later, so the tab answers a tap at once with 5,000 contacts. */
const FIRST_PAINT_ROWS = 60;

/**
 * The contact list, as WeChat draws it: a search box; "New friends" with its
 * badge and "Groups"; contacts by letter under sticky letter headers; the
 * A–Z rail. Typing searches contacts (remark, nickname, pinyin, initials,
 * Muster ID, tags) and my groups' names, with no round trip.
 */
export function ContactList({ selected }: { selected?: string }) {
  const snapshot = contactsState.value;
  const groups = groupsState.value;
  const [query, setQuery] = useState(listMemory.query);
  const scroller = useRef<HTMLDivElement>(null);
  const sections = useMemo(() => im().contacts.sections(snapshot.contacts), [snapshot.contacts]);
  const present = useMemo(() => new Set(sections.map((s) => s.letter)), [sections]);
  const searching = query.trim() !== '';
  const ready = pinyinReady.value;
  const found = useMemo(
    () => (searching ? { contacts: im().contacts.filter(query), groups: im().groups.filter(query) } : null),
    [query, snapshot.contacts, groups.groups, ready],
  );

  const [all, setAll] = useState(() => listMemory.scroll > 0 || snapshot.contacts.length <= FIRST_PAINT_ROWS);
  const shown = all ? sections : firstRows(sections, FIRST_PAINT_ROWS);
  const pendingJump = useRef<string | null>(null);

  useLayoutEffect(() => {
    if (scroller.current && !searching) scroller.current.scrollTop = listMemory.scroll;
  }, []);
  useEffect(() => {
    if (all) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const frame = requestAnimationFrame(() => (timer = setTimeout(() => setAll(true), 0)));
    return () => {
      cancelAnimationFrame(frame);
      clearTimeout(timer);
    };
  }, [all]);

  const scrollTo = (letter: string) => {
    const target = sectionFor(letter, RAIL_LETTERS, [...present]);
    const el = scroller.current;
    if (!target || !el) return;
    const section = el.querySelector<HTMLElement>(`[data-section="${target === '#' ? '\\#' : target}"]`);
    if (section) el.scrollTop = section.offsetTop;
  };
  // A letter tapped before the whole list is drawn: draw it, then go there.
  useLayoutEffect(() => {
    if (!all || pendingJump.current === null) return;
    const letter = pendingJump.current;
    pendingJump.current = null;
    scrollTo(letter);
  }, [all]);
  const jump = (letter: string) => {
    if (all) return scrollTo(letter);
    pendingJump.current = letter;
    setAll(true);
  };

  return (
    <div class="contacts-list" data-testid="contacts-list">
      <header class="contacts-head">
        <h1>Contacts</h1>
        <Link class="icon-btn" href="/groups/new" title="New group" aria-label="New group" data-testid="contacts-new-group">
          <Icon name="users" />
        </Link>
        <Link class="icon-btn" href="/contacts/add" title="Add friend" aria-label="Add friend" data-testid="contacts-add">
          <Icon name="userAdd" />
        </Link>
      </header>
      <label class="contacts-search">
        <Icon name="search" />
        <span class="visually-hidden">Search contacts and groups</span>
        <input
          type="search"
          placeholder="Search"
          autocomplete="off"
          autocapitalize="off"
          spellcheck={false}
          enterKeyHint="search"
          data-testid="contacts-search"
          value={query}
          onInput={(e) => {
            listMemory.query = e.currentTarget.value;
            setQuery(e.currentTarget.value);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              listMemory.query = '';
              setQuery('');
            }
          }}
        />
      </label>
      <div class="contacts-body">
      <div
        ref={scroller}
        class="contacts-scroll"
        data-testid="contacts-scroll"
        onScroll={(e) => {
          if (!searching) listMemory.scroll = e.currentTarget.scrollTop;
        }}
      >
        {searching ? (
          <SearchResults query={query} contacts={found?.contacts ?? []} groups={found?.groups ?? []} selected={selected} />
        ) : (
          <>
            <Link class={`contact-row contact-entry${selected === 'newFriends' ? ' selected' : ''}`} href="/contacts/new-friends" data-testid="contacts-new-friends">
              <span class="entry-icon entry-friends">
                <Icon name="userAdd" />
              </span>
              <span class="contact-name">New friends</span>
              {snapshot.pending > 0 && (
                <span class="count-badge" data-testid="new-friends-badge" aria-label={`${snapshot.pending} waiting`}>
                  {badgeText(snapshot.pending)}
                </span>
              )}
            </Link>
            <Link class={`contact-row contact-entry${selected === 'groupList' ? ' selected' : ''}`} href="/contacts/groups" data-testid="contacts-groups">
              <span class="entry-icon entry-groups">
                <Icon name="users" />
              </span>
              <span class="contact-name">Groups</span>
              {groups.loaded && <span class="contact-aside">{groups.groups.length}</span>}
            </Link>
            {shown.map((section) => (
              <section key={section.letter} class="contacts-section" data-section={section.letter} data-testid={`contacts-section-${section.letter}`}>
                <h2 class="contacts-letter">{section.letter}</h2>
                {section.items.map((c) => (
                  <ContactRow key={c.userId} contact={c} selected={selected === c.userId} />
                ))}
              </section>
            ))}
            {snapshot.loaded && (
              <p class="contacts-count" data-testid="contacts-count">
                {snapshot.contacts.length === 0 ? 'No contacts yet. Add friends by phone number or Muster ID.' : `${snapshot.contacts.length} ${snapshot.contacts.length === 1 ? 'contact' : 'contacts'}`}
              </p>
            )}
            {snapshot.loaded && (
              <Link class="contacts-footer-link" href="/contacts/blocked" data-testid="contacts-blocked">
                Blocked people
              </Link>
            )}
          </>
        )}
      </div>
      {!searching && sections.length > 0 && <AzRail letters={RAIL_LETTERS} present={present} onLetter={jump} />}
      </div>
    </div>
  );
}

export function ContactRow({ contact, selected }: { contact: ContactView; selected?: boolean }) {
  return (
    <Link class={`contact-row${selected ? ' selected' : ''}`} href={contactPath(contact.userId)} data-testid="contact-row" data-user-id={contact.userId}>
      <Avatar name={contact.displayName} src={contact.avatar?.small} />
      <span class="contact-name">{contact.displayName}</span>
    </Link>
  );
}

export function GroupRow({ group, selected }: { group: GroupView; selected?: boolean }) {
  return (
    <Link class={`contact-row${selected ? ' selected' : ''}`} href={groupPath(group.id)} data-testid="group-row" data-group-id={group.id}>
      <Avatar name={group.name} src={group.avatar?.small} />
      <span class="contact-name">{group.name}</span>
      <span class="contact-aside">{group.members}</span>
    </Link>
  );
}

function SearchResults({ query, contacts, groups, selected }: { query: string; contacts: ContactView[]; groups: GroupView[]; selected?: string }) {
  if (contacts.length === 0 && groups.length === 0) {
    return (
      <p class="contacts-empty" data-testid="contacts-no-results">
        No contacts or groups match “{query.trim()}”.
      </p>
    );
  }
  return (
    <div data-testid="contacts-results">
      {contacts.length > 0 && (
        <section class="contacts-section">
          <h2 class="contacts-letter">Contacts</h2>
          {contacts.map((c) => (
            <ContactRow key={c.userId} contact={c} selected={selected === c.userId} />
          ))}
        </section>
      )}
      {groups.length > 0 && (
        <section class="contacts-section">
          <h2 class="contacts-letter">Groups</h2>
          {groups.map((g) => (
            <GroupRow key={g.id} group={g} selected={selected === g.id} />
          ))}
        </section>
      )}
    </div>
  );
}
