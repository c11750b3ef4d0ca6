import { signal } from '@preact/signals';
import { useEffect, useLayoutEffect, useRef } from 'preact/hooks';

export interface MenuItem {
  label: string;
  testId: string;
  danger?: boolean;
  /** Shown greyed out, not chosen; `hint` says why (its title and accessible description). */
  disabled?: boolean;
  hint?: string;
  run(): unknown;
}

interface OpenMenu {
  anchor: HTMLElement;
  items: MenuItem[];
  testId: string;
  /** A new menu is a new element: focus and position start over. */
  id: number;
}

/** The one open menu: a second one replaces the first. */
const openMenu = signal<OpenMenu | null>(null);
let nextId = 0;

/** A small menu by `anchor`; closed by a choice, a click elsewhere or Escape. */
export function showMenu(anchor: HTMLElement, items: MenuItem[], testId = 'menu'): void {
  openMenu.value = items.length ? { anchor, items, testId, id: ++nextId } : null;
}

export function closeMenu(): void {
  openMenu.value = null;
}

/**
 * Where the open menu is drawn: fixed to the viewport, so a menu from a tile
 * in a scrolled filmstrip or a panel is not clipped. Rendered once, inside
 * the screen that uses menus (the meeting), so it also shows in full screen.
 */
export function PopoverMenuLayer() {
  const menu = openMenu.value;
  const ref = useRef<HTMLDivElement>(null);

  // Placed from its measured size, before the browser paints it.
  useLayoutEffect(() => {
    const el = ref.current;
    if (!menu || !el) return;
    const r = menu.anchor.getBoundingClientRect();
    const width = el.offsetWidth;
    const height = el.offsetHeight;
    el.style.left = `${Math.max(8, Math.min(innerWidth - width - 8, r.right - width))}px`;
    el.style.top = `${r.bottom + height + 8 < innerHeight ? r.bottom + 4 : Math.max(8, r.top - height - 4)}px`;
    (el.firstElementChild as HTMLElement | null)?.focus();
  }, [menu]);

  useEffect(() => {
    if (!menu) return;
    const onOutside = (event: Event) => {
      if (!ref.current?.contains(event.target as Node) && event.target !== menu.anchor) closeMenu();
    };
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') closeMenu();
    };
    document.addEventListener('pointerdown', onOutside, true);
    document.addEventListener('keydown', onKey, true);
    return () => {
      document.removeEventListener('pointerdown', onOutside, true);
      document.removeEventListener('keydown', onKey, true);
    };
  }, [menu]);

  // Closing with the screen that opened it: a menu must not outlive its meeting.
  useEffect(() => closeMenu, []);

  if (!menu) return null;
  return (
    <div class="popover-menu" role="menu" data-testid={menu.testId} key={menu.id} ref={ref}>
      {menu.items.map((item) => (
        <button
          key={item.testId}
          class={`popover-item${item.danger ? ' danger' : ''}`}
          type="button"
          role="menuitem"
          data-testid={item.testId}
          disabled={item.disabled}
          aria-disabled={item.disabled ? 'true' : undefined}
          title={item.hint}
          onClick={(event) => {
            event.stopPropagation();
            closeMenu();
            void Promise.resolve(item.run()).catch(() => undefined);
          }}
        >
          {item.label}
          {item.hint && item.disabled && <span class="popover-hint">{item.hint}</span>}
        </button>
      ))}
    </div>
  );
}
