import { z } from 'zod';

// The SDK runs under a Content-Security-Policy without 'unsafe-eval': zod 4 would otherwise probe
// `new Function('')` to decide whether to compile its parsers, and that probe is itself a violation.
z.config({ jitless: true });

export { BoardClient, BoardRequestError, type BoardClientEvents, type BoardClientOptions } from './BoardClient.ts';
export * from '../protocol.ts';
export * from '../model/BoardDoc.ts';
export * from '../symbols/sidc.ts';
export * from '../symbols/catalog.ts';
