import { freePort } from './net';
import { waitFor } from './wait-for';

describe('waitFor', () => {
  it('should resolve with the first truthy value', async () => {
    let calls = 0;
    await expect(waitFor(() => (++calls >= 3 ? calls : 0), { intervalMs: 1 })).resolves.toBe(3);
  });

  it('should say what it waited for and what it saw last when it times out', async () => {
    await expect(
      waitFor(async () => false, {
        timeoutMs: 30,
        intervalMs: 5,
        message: 'the answer',
      }),
    ).rejects.toThrow(/timed out after 30 ms waiting for the answer \(last: false\)/);
  });
});

describe('freePort', () => {
  it('should give a port number', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    expect(port).toBeLessThan(65536);
  });
});
