export * from './BoardDoc.ts';
export { validateUpdate, type UpdateVerdict } from './validateUpdate.ts';
