import type { Config } from 'jest';
import { getJestProjectsAsync } from '@nx/jest';

// Every project's tests in one run (`npm test`), sharing one local RabbitMQ.
export default async (): Promise<Config> => ({
  projects: await getJestProjectsAsync(),
  reporters: ['default', '<rootDir>/tools/jest/summary-reporter.cjs'],
});
