/** Test helpers every package may use (exported as `@muster/kit/testing`). */
export { mulberry32 } from './random.ts';
export { waitUntil } from './waitUntil.ts';
export { TEST_REDIS_URL, privateRedis, redisReachable, redisTestsEnabled } from './redis.ts';
export { freePort } from './freePort.ts';
