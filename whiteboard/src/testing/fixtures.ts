import { BOARD_PROTOCOL_VERSION, TACTICAL_KINDS, type BoardJson, type BoardObject } from '../protocol.ts';
import type { BoardMember } from '../server/Board.ts';

/** A member who may draw and hears nothing: for driving a Board directly, without sockets. */
export function fakeMember(key: string, identity: BoardMember['identity'] = { userId: 'u', name: 'U' }): BoardMember {
  return {
    key,
    identity,
    awarenessClients: new Set(),
    standing: () => ({ isHost: false, isPresenter: false, mayDraw: true }),
    send: () => undefined,
    sendRights: () => undefined,
  };
}

/** A deterministic pseudo-random board: `total` objects of every type, `symbols` of them military symbols. */
export function makeBoard(id: string, total: number, symbols: number, seed = 1): BoardJson {
  let state = seed;
  const rand = () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
  const coord = () => Math.round(rand() * 40_000) / 10 - 1000;
  const pts = (n: number) => Array.from({ length: n * 2 }, () => Math.round(rand() * 4000) / 10);
  const sidcs = ['SFGPUCI----D---', 'SHGPUCA--------', 'SNGPUCR--------', 'SUGPEVAT-------', '10031000001211000000', 'SFGAUCF----F---'];
  const others: BoardObject['type'][] = ['path', 'line', 'arrow', 'rect', 'ellipse', 'polygon', 'text', 'note', 'tactical'];
  const pages: BoardJson['pages'] = [
    { id: 'p1', name: 'Operations map', objects: [] },
    { id: 'p2', name: 'Logistics', objects: [] },
  ];
  for (let i = 0; i < total; i++) {
    const page = i % 4 === 3 ? 'p2' : 'p1';
    const common = { id: `o${i.toString(36).padStart(4, '0')}`, page, x: coord(), y: coord(), angle: Math.round(rand() * 90), z: i, stroke: '#1f6feb', strokeWidth: 2, opacity: 1, author: 'fixture' };
    let object: BoardObject;
    if (i < symbols) {
      object = {
        ...common,
        type: 'symbol',
        sidc: sidcs[i % sidcs.length]!,
        modifiers: { uniqueDesignation: `${i % 9}/${(i % 3) + 1}`, higherFormation: '3 BDE', additionalInformation: 'fixture', quantity: String(i % 12), direction: (i * 7) % 360, dtg: '241200ZNOV26' },
        size: 40,
      };
    } else {
      const type = others[i % others.length]!;
      switch (type) {
        case 'rect':
        case 'ellipse':
          object = { ...common, type, w: 20 + Math.round(rand() * 200), h: 20 + Math.round(rand() * 200), fill: '#ffcc00' };
          break;
        case 'text':
          object = { ...common, type, text: `label ${i}`, fontSize: 18 };
          break;
        case 'note':
          object = { ...common, type, text: `note ${i}\nsecond line`, w: 160, h: 120, fill: '#fff59d' };
          break;
        case 'tactical':
          object = { ...common, type, kind: TACTICAL_KINDS[i % TACTICAL_KINDS.length]!, points: pts(4), label: `PL ${i}` };
          break;
        case 'path':
          object = { ...common, type, points: pts(12), highlighter: i % 2 === 0 };
          break;
        default:
          object = { ...common, type, points: pts(type === 'polygon' ? 5 : 2) } as BoardObject;
      }
    }
    pages.find((p) => p.id === page)!.objects.push(object);
  }
  return { id, version: BOARD_PROTOCOL_VERSION, pages };
}
