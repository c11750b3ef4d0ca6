/** Test helpers (`@muster/server/testing`): a whole Muster server per test file, and media recovery checks. */
export { startTestServer } from './testServer.ts';
export { meetingOfTwo, mediaBackOnNewSubscribers } from './mediaRecovery.ts';
export { waitUntil } from '@muster/kit/testing';
