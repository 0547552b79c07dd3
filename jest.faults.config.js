// `npm run test:faults`: the suites that stop, kill, freeze, block or cluster disposable RabbitMQ
// nodes, the TLS node, and the slow hostile-load scenarios (a backlog of 40 × 16 MB messages,
// a log flood) (test/faults/). They run one at a time, after `npm test`, in .ci/run:
// each waits on broker restarts and heartbeat timeouts, not on CPU, and their bounds assume a
// machine that is not also running the rest of the suite.
import base from './jest.config.js';

/** @type {import('jest').Config} */
export default {
  ...base,
  testMatch: ['<rootDir>/test/faults/**/*.e2e-spec.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
};
