export { BoardClient, BoardRequestError, type BoardClientEvents, type BoardClientOptions } from './BoardClient.ts';
export * from '../protocol.ts';
export * from '../model/BoardDoc.ts';
export * from '../symbols/sidc.ts';
export * from '../symbols/catalog.ts';
