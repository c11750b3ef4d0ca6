/** Test helpers other workspaces use (`@muster/whiteboard/testing`): a board server without the rest, board fixtures. */
export { startBoardTestServer, until, type BoardTestServer } from './boardTestServer.ts';
export { fakeMember, makeBoard } from './fixtures.ts';
export { lagDuring } from './lag.ts';
