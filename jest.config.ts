import type { Config } from 'jest';
import { getJestProjectsAsync } from '@nx/jest';

// Every project's tests in one run (`npm test`), sharing one local RabbitMQ and PostgreSQL.
export default async (): Promise<Config> => ({
  projects: await getJestProjectsAsync(),
  reporters: ['default', '<rootDir>/tools/jest/summary-reporter.cjs'],
  // Two spec files at a time: most of a spec's time is spent waiting on brokers, sockets and the
  // processes it starts, so two overlap well on two cores. Longest first (see the sequencer).
  maxWorkers: 2,
  testSequencer: '<rootDir>/tools/jest/sequencer.cjs',
  // Global options: Jest ignores them in the projects' own configs (the preset's), so they are set here.
  testTimeout: 30_000,
});
