/**
 * The meetings' REST API (`@muster/signaling/rest`): its routers, and the zod
 * schemas of its bodies and replies that the server's OpenAPI document is
 * generated from.
 */
export * from './roomsApi.ts';
export * from './myMeetingsApi.ts';
export * from './recordingsApi.ts';
export * from './apiSchemas.ts';
