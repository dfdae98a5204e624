// Jest runs TypeScript as native ESM: @kubernetes/client-node and execa are ESM-only.
// Needs NODE_OPTIONS=--experimental-vm-modules (the npm scripts and the Makefile set it).
const esm = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
  testEnvironment: 'node',
  // Only our sources: .stack/ (etcd's *.snap files look like Jest snapshots) and .cache/ (a Debian root) stay out.
  roots: ['<rootDir>/src', '<rootDir>/test'],
  // Jest 30's soft deletion of globals between files recurses forever on some modules' globals.
  testEnvironmentOptions: { globalsCleanup: 'off' },
};

// e2e tests share the local stack (make stack-up): the Makefile runs them with --runInBand.
/** @type {import('jest').Config} */
export default {
  // e2e tests drive real daemons: a job takes seconds to be negotiated and run. Unit tests finish in ms anyway.
  testTimeout: 300_000,
  projects: [
    {
      ...esm,
      displayName: 'unit',
      // test/sim: the simulation's models, its invariants and a fixed range of seeds (make test-sim hunts more).
      testMatch: [
        '<rootDir>/src/**/*.test.ts',
        '<rootDir>/test/unit/**/*.test.ts',
        '<rootDir>/test/sim/**/*.test.ts',
      ],
    },
    {
      ...esm,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.e2e.test.ts'],
    },
    // Real faults injected into the stack (make test-chaos): run after e2e, never alongside it.
    {
      ...esm,
      displayName: 'chaos',
      testMatch: ['<rootDir>/test/chaos/**/*.chaos.test.ts'],
    },
    // Checks over what the whole run left behind (logs, Events, objects): last.
    {
      ...esm,
      displayName: 'audit',
      testMatch: ['<rootDir>/test/audit/**/*.audit.test.ts'],
    },
  ],
};
