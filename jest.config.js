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
  // The fault suites (disposable nodes stopped, killed, frozen, clustered; TLS) are `npm run
  // test:faults` (jest.faults.config.js), which .ci/run runs after `npm test`.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/faults/'],
  // `npm test` runs suites in 4 parallel workers (3 took 309 s, 4 took 261 s here, one run each: the e2e suites mostly
  // wait on the broker and on service processes): every e2e suite declares its own
  // uniquely named exchange and queues on the shared broker and picks free ports, so none sees
  // another's messages. A test that waits for a delivery must not starve, nor one that starts a
  // service process on a loaded machine (ServiceProcess.start waits up to 60 s): 90 s. It bounds
  // only a test that hangs; passing tests return when their condition holds.
  testTimeout: 90000,
  // Coverage is collected by `npm test` (--coverage; the README's and CI's one test command) and
  // not by a single spec run. Babel (istanbul) instrumentation, cached with the transform: V8's
  // precise coverage cost 2.7× the CPU of the same unit specs without coverage here, istanbul's
  // counters 1.9× (43 s and 29.5 s of CPU against 15.9 s for src/rabbitmq/{codec,wire,server} and
  // src/config, one worker, 2026-12-06). It counts lines with a statement, where V8 counted every
  // line of a loaded file. Code run only in child processes (node dist/main.js, the dlq CLI) counts
  // as uncovered. Below 80 % of src/ lines jest exits non-zero, so `npm test` and .ci/run fail.
  collectCoverageFrom: ['src/**/*.ts', '!src/**/*.spec.ts'],
  coverageProvider: 'babel',
  coverageReporters: ['text-summary', 'json-summary', 'lcov'],
  coverageThreshold: { global: { lines: 80 } },
};
