import type { Config } from 'jest';
import { getJestProjectsAsync } from '@nx/jest';

// Every project's tests in one run (`npm test`), sharing one local RabbitMQ.
export default async (): Promise<Config> => ({
  projects: await getJestProjectsAsync(),
  reporters: ['default', '<rootDir>/tools/jest/summary-reporter.cjs'],
  // A global option: Jest ignores it in the projects' own configs (the preset's), so it is set here.
  testTimeout: 30_000,
});
