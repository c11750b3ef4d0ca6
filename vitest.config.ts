import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{kit,media,signaling,web-demo,loadtest,whiteboard,recorder,db,server,e2e}/src/**/*.test.ts', 'tools/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Media and browser tests are CPU-bound on a 2-core machine, and several
    // measure recovery against the clock (a worker crash must heal within 5 s):
    // one file at a time keeps them from starving each other's event loops.
    fileParallelism: false,
    pool: 'forks',
  },
});
