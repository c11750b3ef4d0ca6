import { AFFILIATIONS, ECHELONS, STATUSES, SidcSchema, readSidc, searchSymbols, withSidcParts } from '@muster/whiteboard/client';
import { useEffect, useRef, useState } from 'preact/hooks';
import { symbolArt } from './canvas/symbolArt.ts';
import { MODIFIER_FIELDS, type PaletteState } from './paletteState.ts';

/** A small picture of a symbol (the same cached SVG data URL the canvas draws). */
function SymbolImage({ sidc, size }: { sidc: string; size: number }) {
  const art = symbolArt(sidc, {}, size);
  return <img src={art.url} width={art.width} height={art.height} alt={sidc} />;
}

/**
 * The symbol palette: the organisation's pinned symbols first, then search by
 * name or code; affiliation, status and echelon rewrite the SIDC; the text
 * modifiers go with the stamp. The same form edits a selected symbol.
 */
export function SymbolPalette({ palette, onApply }: { palette: PaletteState; onApply(): void }) {
  const sidc = palette.sidc.value;
  const modifiers = palette.modifiers.value;
  const parts = readSidc(sidc);
  const [query, setQuery] = useState('');
  const [code, setCode] = useState(sidc);
  const codeInput = useRef<HTMLInputElement>(null);
  // The code field shows the chosen SIDC whenever it changes from elsewhere (a pinned symbol, a selection).
  useEffect(() => setCode(sidc), [sidc]);

  const choose = (next: string) => {
    const input = codeInput.current!;
    if (!SidcSchema.safeParse(next).success) {
      input.setCustomValidity('not a SIDC');
      input.reportValidity();
      return;
    }
    input.setCustomValidity('');
    palette.sidc.value = next;
  };
  // Catalogue entries take the chosen affiliation, status and echelon; pinned ones are exact.
  const withParts = (base: string, change: Partial<typeof parts> = {}) =>
    withSidcParts(base, { affiliation: (change.affiliation ?? parts.affiliation) as never, status: (change.status ?? parts.status) as never, echelon: (change.echelon ?? parts.echelon) as never });

  const entry = (entrySidc: string, name: string, testId: string, exact: boolean) => (
    <button key={`${testId}:${entrySidc}`} type="button" class="palette-entry" title={`${name} — ${entrySidc}`} data-testid={testId} data-sidc={entrySidc} onClick={() => choose(exact ? entrySidc : withParts(entrySidc))}>
      <SymbolImage sidc={entrySidc} size={22} />
      <span>{name}</span>
    </button>
  );
  const select = (values: readonly string[], testId: string, label: string, value: string, part: 'affiliation' | 'status' | 'echelon') => (
    <select data-testid={testId} aria-label={label} value={value} onChange={(event) => choose(withParts(sidc, { [part]: event.currentTarget.value }))}>
      {values.map((v) => (
        <option key={v} value={v}>
          {v}
        </option>
      ))}
    </select>
  );

  return (
    <section class="board-palette" data-testid="symbol-palette">
      <h3>Pinned</h3>
      <div class="palette-grid" data-testid="pinned-symbols">
        {palette.pinned.value.map((p) => entry(p.sidc, p.name, 'pinned-symbol', true))}
      </div>
      <input type="search" placeholder="Search symbols by name or SIDC" data-testid="symbol-search" aria-label="Search symbols" value={query} onInput={(event) => setQuery(event.currentTarget.value)} />
      <div class="palette-grid" data-testid="symbol-results">
        {searchSymbols(query)
          .slice(0, 40)
          .map((e) => entry(e.sidc, e.name, 'symbol-result', false))}
      </div>
      <div class="palette-row">
        <div class="palette-preview">
          <SymbolImage sidc={sidc} size={30} />
        </div>
        <label class="palette-field">
          <span>SIDC</span>
          <input
            ref={codeInput}
            type="text"
            spellcheck={false}
            data-testid="symbol-sidc"
            aria-label="SIDC"
            maxLength={30}
            value={code}
            onInput={(event) => setCode(event.currentTarget.value)}
            onChange={(event) => choose(event.currentTarget.value.trim())}
          />
        </label>
      </div>
      <div class="palette-row">
        {select(AFFILIATIONS, 'symbol-affiliation', 'Affiliation', parts.affiliation, 'affiliation')}
        {select(STATUSES, 'symbol-status', 'Status', parts.status, 'status')}
        {select(ECHELONS, 'symbol-echelon', 'Echelon', parts.echelon, 'echelon')}
      </div>
      {MODIFIER_FIELDS.map(({ key, label, testId }) => (
        <label key={key} class="palette-field">
          <span>{label}</span>
          <input
            {...(key === 'direction' ? { type: 'number' as const, min: '0', max: '360' } : { type: 'text' as const })}
            maxLength={200}
            data-testid={testId}
            aria-label={label}
            value={modifiers[key] ?? ''}
            onInput={(event) => (palette.modifiers.value = { ...palette.modifiers.peek(), [key]: event.currentTarget.value })}
          />
        </label>
      ))}
      <button type="button" class="btn-small" data-testid="symbol-apply" hidden={!palette.editing.value} onClick={onApply}>
        Apply to selected symbol
      </button>
    </section>
  );
}
