import { computed, signal } from '@preact/signals';
import type { PinnedSymbol, SymbolModifiers } from '@muster/whiteboard/client';

export type ModifierKey = keyof SymbolModifiers;
export type ModifierText = Partial<Record<ModifierKey, string>>;

export const MODIFIER_FIELDS: { key: ModifierKey; label: string; testId: string }[] = [
  { key: 'uniqueDesignation', label: 'Unique designation (T)', testId: 'mod-unique' },
  { key: 'higherFormation', label: 'Higher formation (M)', testId: 'mod-higher' },
  { key: 'additionalInformation', label: 'Additional information (H)', testId: 'mod-info' },
  { key: 'quantity', label: 'Quantity (C)', testId: 'mod-quantity' },
  { key: 'direction', label: 'Direction of movement, ° (Q)', testId: 'mod-direction' },
  { key: 'dtg', label: 'Date-time group (W)', testId: 'mod-dtg' },
];

/** The modifier fields as typed → a modifiers object: empty fields left out, a direction only when it is 0–360. */
export function readModifiers(text: ModifierText): SymbolModifiers {
  const out: SymbolModifiers = {};
  for (const { key } of MODIFIER_FIELDS) {
    const value = text[key]?.trim();
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

/** A symbol's modifiers → the text of the fields, to edit a selected symbol. */
export function modifierText(modifiers: SymbolModifiers): ModifierText {
  const text: ModifierText = {};
  for (const { key } of MODIFIER_FIELDS) if (modifiers[key] !== undefined) text[key] = String(modifiers[key]);
  return text;
}

/**
 * What the symbol palette has chosen: the SIDC and the text modifiers the
 * symbol tool stamps, the organisation's pinned symbols, and whether a
 * selected symbol on the board is being edited (then "Apply" shows).
 */
export class PaletteState {
  readonly sidc = signal('SFGPUCI--------');
  readonly modifiers = signal<ModifierText>({});
  readonly pinned = signal<PinnedSymbol[]>([]);
  readonly editing = signal(false);
  /** What the symbol tool stamps. */
  readonly stamp = computed(() => ({ sidc: this.sidc.value, modifiers: readModifiers(this.modifiers.value) }));

  /** Shows a selected symbol's code and modifiers for editing, or goes back to stamping. */
  edit(target: { sidc: string; modifiers: SymbolModifiers } | null): void {
    this.editing.value = !!target;
    if (!target) return;
    this.sidc.value = target.sidc;
    this.modifiers.value = modifierText(target.modifiers);
  }
}
