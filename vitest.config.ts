import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{media,signaling,web-demo,loadtest}/src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Media tests are CPU-bound on a 2-core machine; two files at a time keeps
    // them from starving each other's event loops.
    maxWorkers: 2,
    pool: 'forks',
  },
});
