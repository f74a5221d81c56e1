import { spawnApp } from './spawn-app';

describe('spawnApp', () => {
  it('should run TypeScript with @hello aliases and decorator metadata, and deliver signals to it', async () => {
    const app = spawnApp('libs/testing/src/lib/fixtures/print-topology.fixture.ts');
    try {
      await app.waitForOutput(/ready/);
      expect(app.output()).toContain('queue=hello params=1 ready');
      app.kill('SIGTERM');
      expect(await app.exited).toEqual({ code: 0, signal: null });
      expect(app.output()).toContain('bye');
    } finally {
      await app.stop();
    }
  });

  it('should fail waitForOutput when the process exits first', async () => {
    const app = spawnApp('libs/testing/src/lib/fixtures/no-such-file.ts');
    await expect(app.waitForOutput(/never/)).rejects.toThrow(/exited before printing/);
  });
});
