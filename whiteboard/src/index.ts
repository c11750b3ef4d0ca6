export * from './protocol.ts';
export * from './model/index.ts';
export * from './server/index.ts';
export * from './symbols/sidc.ts';
export * from './symbols/catalog.ts';
