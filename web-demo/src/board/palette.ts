import {
  AFFILIATIONS,
  ECHELONS,
  STATUSES,
  SidcSchema,
  readSidc,
  searchSymbols,
  withSidcParts,
  type PinnedSymbol,
  type SymbolModifiers,
} from '@muster/whiteboard/client';
import { h } from '../lib/dom.ts';
import { symbolPreview } from './symbolArt.ts';

const MODIFIER_FIELDS: { key: keyof SymbolModifiers; label: string; testId: string }[] = [
  { key: 'uniqueDesignation', label: 'Unique designation (T)', testId: 'mod-unique' },
  { key: 'higherFormation', label: 'Higher formation (M)', testId: 'mod-higher' },
  { key: 'additionalInformation', label: 'Additional information (H)', testId: 'mod-info' },
  { key: 'quantity', label: 'Quantity (C)', testId: 'mod-quantity' },
  { key: 'direction', label: 'Direction of movement, ° (Q)', testId: 'mod-direction' },
  { key: 'dtg', label: 'Date-time group (W)', testId: 'mod-dtg' },
];

/** Reads modifier inputs into a modifiers object (empty fields left out). */
function readModifiers(inputs: Map<keyof SymbolModifiers, HTMLInputElement>): SymbolModifiers {
  const out: SymbolModifiers = {};
  for (const [key, input] of inputs) {
    const value = input.value.trim();
    if (!value) continue;
    if (key === 'direction') {
      const n = Number(value);
      if (Number.isFinite(n) && n >= 0 && n <= 360) out.direction = n;
    } else {
      (out as Record<string, string>)[key] = value.slice(0, 200);
    }
  }
  return out;
}

/**
 * The symbol palette: the organisation's pinned symbols first, then search by
 * name or code; affiliation, status and echelon rewrite the SIDC; the text
 * modifiers go with the stamp. The same form edits a selected symbol.
 */
export class SymbolPalette {
  readonly el: HTMLElement;
  sidc = 'SFGPUCI--------';
  readonly #pinned: HTMLElement;
  readonly #results: HTMLElement;
  readonly #code: HTMLInputElement;
  readonly #affiliation: HTMLSelectElement;
  readonly #status: HTMLSelectElement;
  readonly #echelon: HTMLSelectElement;
  readonly #modifiers = new Map<keyof SymbolModifiers, HTMLInputElement>();
  readonly #preview: HTMLElement;
  readonly #applyButton: HTMLButtonElement;
  readonly #onChange: () => void;
  /** When a symbol is selected on the board, edits apply to it. */
  onApply?: (sidc: string, modifiers: SymbolModifiers) => void;

  constructor(onChange: () => void) {
    this.#onChange = onChange;
    const search = h('input', { type: 'search', placeholder: 'Search symbols by name or SIDC', 'data-testid': 'symbol-search', 'aria-label': 'Search symbols' });
    this.#code = h('input', { type: 'text', value: this.sidc, spellcheck: 'false', 'data-testid': 'symbol-sidc', 'aria-label': 'SIDC', maxlength: '30' });
    const select = (values: readonly string[], testId: string, label: string) =>
      h('select', { 'data-testid': testId, 'aria-label': label }, ...values.map((v) => h('option', { value: v }, v)));
    this.#affiliation = select(AFFILIATIONS, 'symbol-affiliation', 'Affiliation');
    this.#status = select(STATUSES, 'symbol-status', 'Status');
    this.#echelon = select(ECHELONS, 'symbol-echelon', 'Echelon');
    this.#pinned = h('div', { class: 'palette-grid', 'data-testid': 'pinned-symbols' });
    this.#results = h('div', { class: 'palette-grid', 'data-testid': 'symbol-results' });
    this.#preview = h('div', { class: 'palette-preview' });
    this.#applyButton = h('button', { type: 'button', class: 'btn-small', 'data-testid': 'symbol-apply', hidden: true }, 'Apply to selected symbol');
    const mods = MODIFIER_FIELDS.map(({ key, label, testId }) => {
      const input = h('input', { type: key === 'direction' ? 'number' : 'text', min: key === 'direction' ? '0' : null, max: key === 'direction' ? '360' : null, maxlength: '200', 'data-testid': testId, 'aria-label': label });
      this.#modifiers.set(key, input);
      input.addEventListener('input', () => this.#changed());
      return h('label', { class: 'palette-field' }, h('span', null, label), input);
    });

    search.addEventListener('input', () => this.#renderResults(search.value));
    this.#code.addEventListener('change', () => this.setSidc(this.#code.value.trim(), true));
    for (const sel of [this.#affiliation, this.#status, this.#echelon]) {
      sel.addEventListener('change', () => this.setSidc(withSidcParts(this.sidc, { affiliation: this.#affiliation.value as never, status: this.#status.value as never, echelon: this.#echelon.value as never }), true));
    }
    this.#applyButton.addEventListener('click', () => this.onApply?.(this.sidc, this.modifiers()));

    this.el = h(
      'section',
      { class: 'board-palette', 'data-testid': 'symbol-palette' },
      h('h3', null, 'Pinned'),
      this.#pinned,
      search,
      this.#results,
      h('div', { class: 'palette-row' }, this.#preview, h('label', { class: 'palette-field' }, h('span', null, 'SIDC'), this.#code)),
      h('div', { class: 'palette-row' }, this.#affiliation, this.#status, this.#echelon),
      ...mods,
      this.#applyButton,
    );
    this.#renderResults('');
    this.setSidc(this.sidc, false);
  }

  setPinned(pinned: PinnedSymbol[]): void {
    this.#pinned.replaceChildren(...pinned.map((p) => this.#entry(p.sidc, p.name, 'pinned-symbol', false)));
  }

  modifiers(): SymbolModifiers {
    return readModifiers(this.#modifiers);
  }

  /** Shows a selected symbol's code and modifiers for editing, or goes back to stamping. */
  editing(target: { sidc: string; modifiers: SymbolModifiers } | null): void {
    this.#applyButton.hidden = !target;
    if (!target) return;
    this.setSidc(target.sidc, false);
    for (const [key, input] of this.#modifiers) input.value = target.modifiers[key] === undefined ? '' : String(target.modifiers[key]);
  }

  setSidc(sidc: string, notify: boolean): void {
    if (!SidcSchema.safeParse(sidc).success) {
      this.#code.setCustomValidity('not a SIDC');
      this.#code.reportValidity();
      return;
    }
    this.#code.setCustomValidity('');
    this.sidc = sidc;
    this.#code.value = sidc;
    const parts = readSidc(sidc);
    this.#affiliation.value = parts.affiliation;
    this.#status.value = parts.status;
    this.#echelon.value = parts.echelon;
    this.#preview.replaceChildren(symbolPreview(sidc, 30));
    if (notify) this.#changed();
  }

  #changed(): void {
    this.#onChange();
  }

  #entry(sidc: string, name: string, testId: string, keepParts = true): HTMLButtonElement {
    const button = h('button', { type: 'button', class: 'palette-entry', title: `${name} — ${sidc}`, 'data-testid': testId, 'data-sidc': sidc }, symbolPreview(sidc, 22), h('span', null, name));
    button.addEventListener('click', () => {
      // Catalogue entries take the chosen affiliation, status and echelon; pinned ones are exact.
      if (!keepParts) return this.setSidc(sidc, true);
      this.setSidc(withSidcParts(sidc, { affiliation: this.#affiliation.value as never, status: this.#status.value as never, echelon: this.#echelon.value as never }), true);
    });
    return button;
  }

  #renderResults(query: string): void {
    this.#results.replaceChildren(...searchSymbols(query).slice(0, 40).map((e) => this.#entry(e.sidc, e.name, 'symbol-result')));
  }
}
