import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { RAIL_LETTERS, type ContactView } from '@muster/im/client';
import { Avatar } from '../ui/Avatar.tsx';
import { Icon } from '../ui/Icon.tsx';
import { AzRail } from '../contacts/AzRail.tsx';
import { sectionFor } from '../contacts/azRail.ts';
import { contactsState, im, pinyinReady } from '../contacts/state.ts';
import { firstRows } from '../contacts/viewModels.ts';

/** Rows drawn in the first frame (the rest a frame later), as in the contact list. */
const FIRST_PAINT_ROWS = 60;

/**
 * Contacts to pick, with checkboxes: the same letter sections, A–Z rail and
 * pinyin search as the contact list, the picked ones as chips on top (a tap
 * on a chip unpicks). `fixed` are shown ticked and greyed (already members).
 */
export function ContactPicker({ picked, onChange, fixed = new Set<string>() }: { picked: ReadonlySet<string>; onChange: (picked: Set<string>) => void; fixed?: ReadonlySet<string> }) {
  const snapshot = contactsState.value;
  const ready = pinyinReady.value;
  const [query, setQuery] = useState('');
  const scroller = useRef<HTMLDivElement>(null);
  const searching = query.trim() !== '';
  const sections = useMemo(() => im().contacts.sections(snapshot.contacts), [snapshot.contacts]);
  const present = useMemo(() => new Set(sections.map((s) => s.letter)), [sections]);
  const byId = useMemo(() => new Map(snapshot.contacts.map((c) => [c.userId, c])), [snapshot.contacts]);
  const found = useMemo(() => (searching ? im().contacts.filter(query) : []), [query, snapshot.contacts, ready]);
  const [all, setAll] = useState(() => snapshot.contacts.length <= FIRST_PAINT_ROWS);
  useEffect(() => {
    if (all) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const frame = requestAnimationFrame(() => (timer = setTimeout(() => setAll(true), 0)));
    return () => {
      cancelAnimationFrame(frame);
      clearTimeout(timer);
    };
  }, [all]);
  const shown = all ? sections : firstRows(sections, FIRST_PAINT_ROWS);
  const toggle = (userId: string) => {
    if (fixed.has(userId)) return;
    const next = new Set(picked);
    if (next.has(userId)) next.delete(userId);
    else next.add(userId);
    onChange(next);
  };
  const scrollTo = (letter: string) => {
    const target = sectionFor(letter, RAIL_LETTERS, [...present]);
    const section = target && scroller.current?.querySelector<HTMLElement>(`[data-section="${target === '#' ? '\\#' : target}"]`);
    if (section && scroller.current) scroller.current.scrollTop = section.offsetTop;
  };
  // A letter tapped before the whole list is drawn: draw it, then go there.
  const pendingJump = useRef<string | null>(null);
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
  const row = (c: ContactView) => (
    <label key={c.userId} class={`contact-row pick-row${fixed.has(c.userId) ? ' fixed' : ''}`} data-testid="pick-row" data-user-id={c.userId}>
      <input type="checkbox" checked={picked.has(c.userId) || fixed.has(c.userId)} disabled={fixed.has(c.userId)} onChange={() => toggle(c.userId)} data-testid="pick-check" />
      <Avatar name={c.displayName} src={c.avatar?.small} />
      <span class="contact-name">{c.displayName}</span>
    </label>
  );

  return (
    <div class="contact-picker" data-testid="contact-picker">
      {picked.size > 0 && (
        <div class="pick-chips" data-testid="pick-chips">
          {[...picked].map((id) => {
            const c = byId.get(id);
            return (
              <button key={id} class="pick-chip" type="button" title="Remove" onClick={() => toggle(id)} data-testid="pick-chip">
                <Avatar name={c?.displayName ?? '?'} src={c?.avatar?.small} />
                <span class="pick-chip-name">{c?.displayName ?? id}</span>
                <Icon name="close" />
              </button>
            );
          })}
        </div>
      )}
      <label class="contacts-search">
        <Icon name="search" />
        <span class="visually-hidden">Search contacts</span>
        <input type="search" placeholder="Search" autocomplete="off" spellcheck={false} data-testid="pick-search" value={query} onInput={(e) => setQuery(e.currentTarget.value)} />
      </label>
      <div class="pick-body">
        <div ref={scroller} class="contacts-scroll">
          {searching ? (
            <section class="contacts-section">{found.map(row)}</section>
          ) : (
            shown.map((s) => (
              <section key={s.letter} class="contacts-section" data-section={s.letter}>
                <h2 class="contacts-letter">{s.letter}</h2>
                {s.items.map(row)}
              </section>
            ))
          )}
          {snapshot.loaded && snapshot.contacts.length === 0 && <p class="contacts-empty">Add friends first: groups are made from your contacts.</p>}
        </div>
        {!searching && sections.length > 0 && <AzRail letters={RAIL_LETTERS} present={present} onLetter={jump} />}
      </div>
    </div>
  );
}
