import { defineConfig } from 'vitest/config';

/**
 * Two projects, run one after the other (sequence.groupOrder):
 *
 * - `unit`: domain rules, storage, protocols, fuzzers; no media workers, no
 *   browser. Files run in parallel, one per core.
 * - `integration`: the media suites, whole servers and browsers. CPU-bound on
 *   a 2-core machine, and several measure recovery against the clock (a
 *   worker crash must heal within 5 s): one file at a time keeps them from
 *   starving each other's event loops.
 */
const shared = {
  testTimeout: 60_000,
  hookTimeout: 60_000,
  pool: 'forks' as const,
};

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          ...shared,
          name: 'unit',
          include: ['{kit,db,signaling,whiteboard,recorder,accounts,im,files,push,channels,moments}/src/**/*.test.ts', 'tools/*.test.ts'],
          fileParallelism: true,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          ...shared,
          name: 'integration',
          include: ['{media,server,e2e,loadtest,web-demo}/src/**/*.test.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
