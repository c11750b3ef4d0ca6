/**
 * Reading and rewriting the parts of a SIDC the palette lets people choose:
 * affiliation, status and echelon. Letter SIDCs (MIL-STD-2525C, APP-6 B) and
 * numeric ones (2525D/E, APP-6 D) keep them in different places.
 */
export const AFFILIATIONS = ['friend', 'hostile', 'neutral', 'unknown'] as const;
export type Affiliation = (typeof AFFILIATIONS)[number];
export const STATUSES = ['present', 'planned'] as const;
export type Status = (typeof STATUSES)[number];
export const ECHELONS = ['none', 'team', 'squad', 'section', 'platoon', 'company', 'battalion', 'regiment', 'brigade', 'division', 'corps', 'army'] as const;
export type Echelon = (typeof ECHELONS)[number];

const LETTER_AFFILIATION: Record<Affiliation, string> = { friend: 'F', hostile: 'H', neutral: 'N', unknown: 'U' };
const DIGIT_AFFILIATION: Record<Affiliation, string> = { friend: '3', hostile: '6', neutral: '4', unknown: '1' };
const LETTER_ECHELON: Record<Echelon, string> = { none: '-', team: 'A', squad: 'B', section: 'C', platoon: 'D', company: 'E', battalion: 'F', regiment: 'G', brigade: 'H', division: 'I', corps: 'J', army: 'K' };
const DIGIT_ECHELON: Record<Echelon, string> = { none: '00', team: '11', squad: '12', section: '13', platoon: '14', company: '15', battalion: '16', regiment: '17', brigade: '18', division: '21', corps: '22', army: '23' };

export function isNumericSidc(sidc: string): boolean {
  return /^[0-9]+$/.test(sidc);
}

function setAt(text: string, index: number, value: string): string {
  return text.slice(0, index) + value + text.slice(index + value.length);
}

export interface SidcParts {
  affiliation: Affiliation;
  status: Status;
  echelon: Echelon;
}

export function readSidc(sidc: string): SidcParts {
  const find = <K extends string>(table: Record<K, string>, value: string, fallback: K): K =>
    (Object.keys(table) as K[]).find((k) => table[k] === value) ?? fallback;
  if (isNumericSidc(sidc)) {
    return {
      affiliation: find(DIGIT_AFFILIATION, sidc[3] ?? '', 'unknown'),
      status: sidc[6] === '1' ? 'planned' : 'present',
      echelon: find(DIGIT_ECHELON, sidc.slice(8, 10), 'none'),
    };
  }
  return {
    affiliation: find(LETTER_AFFILIATION, (sidc[1] ?? '').toUpperCase(), 'unknown'),
    status: (sidc[3] ?? '').toUpperCase() === 'A' ? 'planned' : 'present',
    echelon: find(LETTER_ECHELON, (sidc[11] ?? '').toUpperCase(), 'none'),
  };
}

/** The same symbol with other affiliation, status or echelon. Equipment and air symbols have no echelon; it is left alone there. */
export function withSidcParts(sidc: string, parts: Partial<SidcParts>): string {
  let out = sidc;
  if (isNumericSidc(sidc)) {
    if (parts.affiliation) out = setAt(out, 3, DIGIT_AFFILIATION[parts.affiliation]);
    if (parts.status) out = setAt(out, 6, parts.status === 'planned' ? '1' : '0');
    // Echelons belong to land units (symbol set 10).
    if (parts.echelon && out.slice(4, 6) === '10') out = setAt(out, 8, DIGIT_ECHELON[parts.echelon]);
    return out;
  }
  if (parts.affiliation) out = setAt(out, 1, LETTER_AFFILIATION[parts.affiliation]);
  if (parts.status) out = setAt(out, 3, parts.status === 'planned' ? 'A' : 'P');
  // Echelons belong to ground units (dimension G, function U…).
  if (parts.echelon && out[2] === 'G' && out[4] === 'U') {
    out = setAt(out, 11, LETTER_ECHELON[parts.echelon]);
    if (out[10] === '*') out = setAt(out, 10, '-');
  }
  return out;
}
