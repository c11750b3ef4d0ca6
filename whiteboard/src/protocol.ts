/**
 * Muster board protocol, version 1.
 *
 * Boards travel over the meeting's own socket.io connection, in the `/board`
 * namespace (socket.io multiplexes namespaces over one WebSocket, so there is
 * no second port and no second connection). Client → server requests are the
 * events in `BoardRequests`, each with a zod schema and an acknowledgement that
 * receives `BoardAck`; server → client events are `BoardServerEvents`. Every
 * request goes through the kit's gateway pipeline (`@muster/kit/gateway`:
 * limits, size, version, schema, error mapping) before its handler.
 *
 * The document itself is a Yjs doc whose updates travel as opaque binary
 * (`update`), validated structurally on the server (`model/validateUpdate.ts`);
 * the shape of what lives inside it, and of the REST JSON, is `BoardObjectSchema`
 * below. Board settings that decide rights (who may draw) are not in the doc:
 * only the host changes them, through `board.setAccess`.
 *
 * This file is the whole contract; docs/protocol.md explains it in prose.
 */
import { z } from 'zod';

export const BOARD_PROTOCOL_VERSION = 1;

/*
 * Bounds. Everything a client sends is parsed against a bound stated here
 * before any work or allocation proportional to a number read from the input
 * (docs/operations.md lists each parser and its bound).
 */

/** Largest accepted document update from a client. */
export const MAX_UPDATE_BYTES = 512 * 1024;
/** Largest accepted awareness update: one full presence state (500 selected ids) fits several times. */
export const MAX_AWARENESS_BYTES = 64 * 1024;
/** Largest accepted state vector in `board.join` (about 10 bytes per client id). */
export const MAX_STATE_VECTOR_BYTES = 256 * 1024;
/** Largest accepted request payload other than the binary fields above. */
export const MAX_REQUEST_BYTES = 16 * 1024;
/** Per board, so that one board cannot grow without bound. */
export const MAX_OBJECTS_PER_BOARD = 10_000;
export const MAX_PAGES_PER_BOARD = 50;
export const MAX_POINTS = 4_000;
/**
 * Stored size of one board (its encoded Yjs state), by default: a board of
 * `MAX_OBJECTS_PER_BOARD` ordinary objects is about 3.5 MB. Updates that add
 * content to a board past it are refused with `BOARD_FULL`; deletions still pass.
 */
export const DEFAULT_MAX_BOARD_BYTES = 8 * 1024 * 1024;

export const BOARD_ERROR_CODES = [
  'BAD_REQUEST', // the payload does not match the schema
  'BAD_UPDATE', // a document update that is not a valid board change (unknown field, bad value, too big)
  'UNKNOWN_EVENT',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_VERSION', // the request's `v` is present and not BOARD_PROTOCOL_VERSION
  'NOT_JOINED', // the board request needs `board.join` first (or the meeting's join, for a meeting board)
  'NOT_FOUND',
  'FORBIDDEN', // the user may not do this on this board (draw, clear, change access)
  'RATE_LIMITED',
  'BOARD_FULL', // the board is at its stored-size cap: only deletions are accepted
  'QUOTA_EXCEEDED', // this address has created as many boards as it may for now
  'SIGN_IN_REQUIRED', // standalone boards are for signed-in people in this organisation
  'INTERNAL',
] as const;
export type BoardErrorCode = (typeof BOARD_ERROR_CODES)[number];

export interface BoardProtocolError {
  code: BoardErrorCode;
  message: string;
}

export type BoardAck<T> = { ok: true; data: T } | { ok: false; error: BoardProtocolError };

export class BoardError extends Error {
  readonly code: BoardErrorCode;
  constructor(code: BoardErrorCode, message: string) {
    super(message);
    this.name = 'BoardError';
    this.code = code;
  }
}

// ---------------------------------------------------------------- ids

/** Standalone boards: letters, digits, `-` and `_`. */
export const STANDALONE_BOARD_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** A meeting's board is `m.<room id>`; the dot keeps it apart from every standalone id. */
export const MEETING_BOARD_PREFIX = 'm.';

export const BoardIdSchema = z
  .string()
  .min(1)
  .max(66)
  .regex(/^(m\.)?[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'board ids use letters, digits, "-" and "_" (a meeting board is "m.<room>")');

export function meetingBoardId(roomId: string): string {
  return `${MEETING_BOARD_PREFIX}${roomId}`;
}

/** The meeting a board belongs to, or null for a standalone board. */
export function meetingOfBoard(boardId: string): string | null {
  return boardId.startsWith(MEETING_BOARD_PREFIX) ? boardId.slice(MEETING_BOARD_PREFIX.length) : null;
}

const ObjectIdSchema = z.string().min(1).max(40).regex(/^[A-Za-z0-9_-]+$/);
export const PageIdSchema = z.string().min(1).max(40).regex(/^[A-Za-z0-9_-]+$/);
/** The page that lies over a shared screen in a meeting; its coordinates are frame-normalised (see `ANNOTATION_WIDTH`). */
export const ANNOTATION_PAGE_ID = 'screen';
/** Annotation coordinates: the shared frame is `ANNOTATION_WIDTH` units wide, and as tall as its aspect makes it. */
export const ANNOTATION_WIDTH = 1000;

// ---------------------------------------------------------------- objects

const Coord = z.number().finite().min(-1e6).max(1e6);
const Colour = z.string().max(32).regex(/^(#[0-9a-fA-F]{3,8}|transparent|rgba?\([0-9., ]+\))$/, 'a colour is #rgb[a], #rrggbb[aa], rgb() or transparent');
const ShortText = z.string().max(200);

/** Flat [x0, y0, x1, y1, …], relative to the object's (x, y). */
const Points = z
  .array(Coord)
  .max(MAX_POINTS * 2)
  .refine((p) => p.length % 2 === 0, 'points are [x, y] pairs');

/** Fields every object has. `z` orders objects on a page (higher on top). */
const Common = {
  id: ObjectIdSchema,
  page: PageIdSchema,
  x: Coord,
  y: Coord,
  angle: z.number().finite().min(-360).max(360).optional(),
  scaleX: z.number().finite().min(0.01).max(1000).optional(),
  scaleY: z.number().finite().min(0.01).max(1000).optional(),
  z: z.number().finite().optional(),
  stroke: Colour.optional(),
  fill: Colour.optional(),
  strokeWidth: z.number().finite().min(0).max(200).optional(),
  opacity: z.number().finite().min(0).max(1).optional(),
  /** Who created it (board user id); informational, never trusted for rights. */
  author: z.string().max(80).optional(),
};

export const PathObjectSchema = z.object({ ...Common, type: z.literal('path'), points: Points, highlighter: z.boolean().optional() }).strict();
export const LineObjectSchema = z.object({ ...Common, type: z.literal('line'), points: Points }).strict();
export const ArrowObjectSchema = z.object({ ...Common, type: z.literal('arrow'), points: Points }).strict();
export const RectObjectSchema = z.object({ ...Common, type: z.literal('rect'), w: Coord, h: Coord }).strict();
export const EllipseObjectSchema = z.object({ ...Common, type: z.literal('ellipse'), w: Coord, h: Coord }).strict();
export const PolygonObjectSchema = z.object({ ...Common, type: z.literal('polygon'), points: Points }).strict();
export const TextObjectSchema = z
  .object({ ...Common, type: z.literal('text'), text: z.string().max(10_000), fontSize: z.number().min(4).max(400).optional() })
  .strict();
export const NoteObjectSchema = z
  .object({ ...Common, type: z.literal('note'), text: z.string().max(10_000), w: Coord, h: Coord })
  .strict();

/** MIL-STD-2525 / APP-6 text modifiers, named as milsymbol names its options. */
export const SymbolModifiersSchema = z
  .object({
    uniqueDesignation: ShortText.optional(), // T
    higherFormation: ShortText.optional(), // M
    additionalInformation: ShortText.optional(), // H
    quantity: ShortText.optional(), // C
    /** Direction of movement, degrees clockwise from north. */
    direction: z.number().finite().min(0).max(360).optional(), // Q
    dtg: ShortText.optional(), // W: date-time group
  })
  .strict();
export type SymbolModifiers = z.infer<typeof SymbolModifiersSchema>;

/** 2525C / APP-6 letter SIDCs are 15 characters; 2525D/E numeric ones 20 (or 30 with extensions). */
export const SidcSchema = z
  .string()
  .regex(/^([A-Za-z*\-]{1}[A-Za-z*\-][A-Za-z*\-][A-Za-z*\-][A-Za-z0-9*\-]{11}|[0-9]{20}|[0-9]{30})$/, 'a SIDC is 15 letters (2525C/APP-6) or 20/30 digits (2525D/E)');

export const SymbolObjectSchema = z
  .object({ ...Common, type: z.literal('symbol'), sidc: SidcSchema, modifiers: SymbolModifiersSchema, size: z.number().min(8).max(400).optional() })
  .strict();

export const TACTICAL_KINDS = ['axis-of-advance', 'phase-line', 'boundary', 'objective', 'route'] as const;
export type TacticalKind = (typeof TACTICAL_KINDS)[number];
export const TacticalObjectSchema = z
  .object({ ...Common, type: z.literal('tactical'), kind: z.enum(TACTICAL_KINDS), points: Points, label: ShortText.optional() })
  .strict();

export const BoardObjectSchema = z.discriminatedUnion('type', [
  PathObjectSchema,
  LineObjectSchema,
  ArrowObjectSchema,
  RectObjectSchema,
  EllipseObjectSchema,
  PolygonObjectSchema,
  TextObjectSchema,
  NoteObjectSchema,
  SymbolObjectSchema,
  TacticalObjectSchema,
]);
export type BoardObject = z.infer<typeof BoardObjectSchema>;
export type BoardObjectType = BoardObject['type'];
export const BOARD_OBJECT_TYPES = BoardObjectSchema.options.map((o) => o.shape.type.value) as BoardObjectType[];

/** Every field any object may carry, with its schema: the server checks each field of an update against this. */
export const OBJECT_FIELDS: Record<string, z.ZodTypeAny> = Object.fromEntries(
  BoardObjectSchema.options.flatMap((o) => Object.entries(o.shape as Record<string, z.ZodTypeAny>)),
);
// `type` differs per variant; the union of its literals is the field's schema.
OBJECT_FIELDS.type = z.enum(BOARD_OBJECT_TYPES as [BoardObjectType, ...BoardObjectType[]]);

export const PageSchema = z
  .object({ id: PageIdSchema, name: z.string().max(80), objects: z.array(BoardObjectSchema).max(MAX_OBJECTS_PER_BOARD) })
  .strict();

/** The board as JSON: REST `GET`/`PUT /api/v1/boards/:id` and the client's JSON export/import. */
export const BoardJsonSchema = z
  .object({
    id: BoardIdSchema,
    version: z.literal(BOARD_PROTOCOL_VERSION).optional(),
    pages: z.array(PageSchema).min(1).max(MAX_PAGES_PER_BOARD),
  })
  .strict()
  .refine((b) => b.pages.reduce((n, p) => n + p.objects.length, 0) <= MAX_OBJECTS_PER_BOARD, `at most ${MAX_OBJECTS_PER_BOARD} objects per board`)
  .refine((b) => new Set(b.pages.map((p) => p.id)).size === b.pages.length, 'page ids must be unique');
export type BoardJson = z.infer<typeof BoardJsonSchema>;
export type PageJson = z.infer<typeof PageSchema>;

// ---------------------------------------------------------------- access

export const DRAW_MODES = ['everyone', 'presenter', 'list'] as const;
export type DrawMode = (typeof DRAW_MODES)[number];

/** Who may draw on a board. Hosts always may; `list` names board user ids. */
export const AccessSettingsSchema = z
  .object({ mode: z.enum(DRAW_MODES), allowed: z.array(z.string().min(1).max(80)).max(500) })
  .strict();
export type AccessSettings = z.infer<typeof AccessSettingsSchema>;

export const DEFAULT_ACCESS: AccessSettings = { mode: 'everyone', allowed: [] };

/** What one user may do on a board right now; sent to each user on join and whenever it changes. */
export interface BoardRights {
  userId: string;
  name: string;
  canDraw: boolean;
  /** May change access and clear any page. */
  isHost: boolean;
  /** Shares the screen in the meeting: may clear the annotation page. */
  isPresenter: boolean;
}

// ---------------------------------------------------------------- client → server

/** Binary on the wire: a Buffer on Node, an ArrayBuffer or Uint8Array in a browser. */
export function binarySchema(maxBytes: number, what = 'updates') {
  return z
    .custom<Uint8Array | ArrayBuffer>((v) => v instanceof Uint8Array || v instanceof ArrayBuffer, 'expected binary data')
    .transform((v) => (v instanceof Uint8Array ? v : new Uint8Array(v)))
    .refine((v) => v.byteLength > 0 && v.byteLength <= maxBytes, `${what} are 1 to ${maxBytes} bytes`);
}
export const BinarySchema = binarySchema(MAX_UPDATE_BYTES);
const StateVectorSchema = binarySchema(MAX_STATE_VECTOR_BYTES, 'state vectors');
const AwarenessUpdateSchema = binarySchema(MAX_AWARENESS_BYTES, 'awareness updates');

export const BoardJoinSchema = z
  .object({
    v: z.literal(BOARD_PROTOCOL_VERSION).optional(),
    board: BoardIdSchema,
    /** Standalone boards: the name to show to others (meeting boards use the meeting name). */
    name: z.string().trim().min(1).max(64).regex(/^[^\u0000-\u001f\u007f]+$/).optional(),
    /** Standalone boards: a stable random id this browser keeps, so that undo and named lists follow a person. */
    clientKey: z.string().min(16).max(64).regex(/^[A-Za-z0-9_-]+$/).optional(),
    /** Standalone boards: the owner key handed out when the board was created; makes its holder host. */
    ownerKey: z.string().min(16).max(64).regex(/^[A-Za-z0-9_-]+$/).optional(),
    /** The client's Yjs state vector: the reply carries only what it is missing. */
    stateVector: StateVectorSchema.optional(),
  })
  .strict();

export const BoardUpdateSchema = z.object({ board: BoardIdSchema, update: BinarySchema }).strict();
export const BoardAwarenessSchema = z.object({ board: BoardIdSchema, update: AwarenessUpdateSchema }).strict();
export const BoardSetAccessSchema = z.object({ board: BoardIdSchema, access: AccessSettingsSchema }).strict();
export const BoardClearSchema = z.object({ board: BoardIdSchema, page: PageIdSchema }).strict();
export const BoardLeaveSchema = z.object({ board: BoardIdSchema }).strict();

export const BoardRequests = {
  /** Open a board (creating a standalone one on first use); replies with the missing state. */
  'board.join': BoardJoinSchema,
  /** A Yjs update; refused whole (never applied) without the right to draw. */
  'board.update': BoardUpdateSchema,
  /** An awareness update (cursor, selection, name); relayed to the others. */
  'board.awareness': BoardAwarenessSchema,
  /** Host only: who may draw. */
  'board.setAccess': BoardSetAccessSchema,
  /** Remove every object of a page: the host, or the presenter for the annotation page. */
  'board.clear': BoardClearSchema,
  'board.leave': BoardLeaveSchema,
} as const;

export type BoardRequestName = keyof typeof BoardRequests;
export type BoardRequest<N extends BoardRequestName> = z.output<(typeof BoardRequests)[N]>;

export interface BoardResponses {
  'board.join': {
    protocolVersion: number;
    board: string;
    self: BoardRights;
    access: AccessSettings;
    /** The update that brings the client's doc up to the server's (relative to its state vector). */
    update: Uint8Array;
    /** The server's state vector, so the client can send what only it has. */
    stateVector: Uint8Array;
    /** Current awareness of the others, as one awareness update (absent when nobody else is there). */
    awareness?: Uint8Array;
    /** The organisation's fixed symbols, pinned at the top of the palette. */
    pinnedSymbols: PinnedSymbol[];
    /** Standalone boards: handed to whoever created the board, once; keep it to stay host. */
    ownerKey?: string;
  };
  'board.update': Record<string, never>;
  'board.awareness': Record<string, never>;
  'board.setAccess': { access: AccessSettings };
  'board.clear': { removed: number };
  'board.leave': Record<string, never>;
}

// ---------------------------------------------------------------- server → client

export interface BoardServerEvents {
  'board.update': (e: { board: string; update: Uint8Array }) => void;
  'board.awareness': (e: { board: string; update: Uint8Array }) => void;
  /** Access settings changed, or this user's standing did (became presenter, host…). */
  'board.rights': (e: { board: string; access: AccessSettings; self: BoardRights }) => void;
  'board.error': (e: BoardProtocolError & { event?: string }) => void;
}

// ---------------------------------------------------------------- symbols

export const PinnedSymbolSchema = z.object({ sidc: SidcSchema, name: z.string().min(1).max(80) }).strict();
export type PinnedSymbol = z.infer<typeof PinnedSymbolSchema>;
export const PinnedSymbolsSchema = z.array(PinnedSymbolSchema).max(200);

// ---------------------------------------------------------------- helpers

export function boardOk<T>(data: T): BoardAck<T> {
  return { ok: true, data };
}

export function boardFail(code: BoardErrorCode, message: string): BoardAck<never> {
  return { ok: false, error: { code, message } };
}

/** A zod error as one readable line (the gateway pipeline's, `@muster/kit/gateway`), for the REST routes too. */
export { zodMessage } from '@muster/kit/gateway';
