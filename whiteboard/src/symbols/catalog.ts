import type { PinnedSymbol } from '../protocol.ts';

/**
 * The symbols the palette can search by name. Codes are friendly, present,
 * no echelon; the palette rewrites affiliation, status and echelon
 * (`sidc.ts`). Any other valid SIDC can be typed in directly.
 */
export interface CatalogEntry {
  sidc: string;
  name: string;
  /** Other words people search for. */
  keywords?: string;
}

export const SYMBOL_CATALOG: CatalogEntry[] = [
  { sidc: 'SFGPUCI--------', name: 'Infantry', keywords: 'foot soldiers' },
  { sidc: 'SFGPUCIZ-------', name: 'Mechanized infantry', keywords: 'mech ifv' },
  { sidc: 'SFGPUCII-------', name: 'Infantry, motorized', keywords: 'motorised truck' },
  { sidc: 'SFGPUCA--------', name: 'Armour', keywords: 'armor tank unit' },
  { sidc: 'SFGPUCAA-------', name: 'Anti-armour', keywords: 'antitank anti-tank at' },
  { sidc: 'SFGPUCR--------', name: 'Reconnaissance', keywords: 'recon cavalry scout' },
  { sidc: 'SFGPUCVR-------', name: 'Aviation, rotary wing', keywords: 'army aviation helicopter' },
  { sidc: 'SFGPUCF--------', name: 'Field artillery', keywords: 'fires guns' },
  { sidc: 'SFGPUCFH-------', name: 'Howitzer artillery', keywords: 'fires sp' },
  { sidc: 'SFGPUCD--------', name: 'Air defence', keywords: 'air defense ada sam' },
  { sidc: 'SFGPUCE--------', name: 'Engineer', keywords: 'sapper combat engineer' },
  { sidc: 'SFGPUCM--------', name: 'Mortar', keywords: 'indirect fire' },
  { sidc: 'SFGPUUS--------', name: 'Signal', keywords: 'communications comms' },
  { sidc: 'SFGPUUL--------', name: 'Law enforcement / military police', keywords: 'mp police' },
  { sidc: 'SFGPUSM--------', name: 'Medical', keywords: 'medic hospital' },
  { sidc: 'SFGPUSS--------', name: 'Supply', keywords: 'logistics sustainment' },
  { sidc: 'SFGPUSTA-------', name: 'Transportation, airport of debarkation', keywords: 'apod logistics' },
  { sidc: 'SFGPUH---------', name: 'Headquarters unit', keywords: 'hq command' },
  { sidc: 'SFGPEVAT-------', name: 'Tank', keywords: 'mbt armoured vehicle equipment' },
  { sidc: 'SFGPEVAA-------', name: 'Armoured personnel carrier', keywords: 'apc vehicle equipment' },
  { sidc: 'SFGPEVAI-------', name: 'Armoured infantry fighting vehicle', keywords: 'ifv vehicle equipment' },
  { sidc: 'SFGPEVUL-------', name: 'Utility vehicle, limited cross-country', keywords: 'truck equipment' },
  { sidc: 'SFGPEWM--------', name: 'Missile launcher', keywords: 'weapon equipment' },
  { sidc: 'SFGPEWA--------', name: 'Air defence gun', keywords: 'weapon equipment aa' },
  { sidc: 'SFGPEWHL-------', name: 'Howitzer, light', keywords: 'weapon equipment artillery' },
  { sidc: 'SFGPIG---------', name: 'Government installation', keywords: 'facility building' },
  { sidc: 'SFAPMF---------', name: 'Fixed-wing aircraft', keywords: 'airplane jet air' },
  { sidc: 'SFAPMH---------', name: 'Rotary-wing aircraft', keywords: 'helicopter air' },
  { sidc: 'SFSPCLFF-------', name: 'Frigate', keywords: 'ship navy sea surface' },
  { sidc: '10031000001211000000', name: 'Infantry (2525D)', keywords: 'land unit numeric' },
  { sidc: '10031000001205000000', name: 'Armour (2525D)', keywords: 'land unit numeric tank' },
];

/** What ships pinned when the organisation has set nothing. */
export const DEFAULT_PINNED_SYMBOLS: PinnedSymbol[] = [
  { sidc: 'SFGPUCI--------', name: 'Infantry' },
  { sidc: 'SFGPUCIZ-------', name: 'Mechanized infantry' },
  { sidc: 'SFGPUCA--------', name: 'Armour' },
  { sidc: 'SFGPUCR--------', name: 'Reconnaissance' },
  { sidc: 'SFGPUCF--------', name: 'Field artillery' },
  { sidc: 'SFGPUCE--------', name: 'Engineer' },
  { sidc: 'SFGPUSM--------', name: 'Medical' },
  { sidc: 'SFGPEVAT-------', name: 'Tank' },
  { sidc: 'SHGPUCI--------', name: 'Hostile infantry' },
  { sidc: 'SHGPUCA--------', name: 'Hostile armour' },
];

/** Case-insensitive search over names, keywords and codes; code prefixes match too. */
export function searchSymbols(query: string, catalog: CatalogEntry[] = SYMBOL_CATALOG): CatalogEntry[] {
  const q = query.trim().toLowerCase();
  if (!q) return catalog;
  const words = q.split(/\s+/);
  return catalog.filter((entry) => {
    const code = entry.sidc.toLowerCase();
    if (code.startsWith(q) || code.replace(/[-*]+$/g, '').includes(q.replace(/[-*]+$/g, ''))) return true;
    const text = `${entry.name} ${entry.keywords ?? ''}`.toLowerCase();
    return words.every((w) => text.includes(w));
  });
}
