import { Backoff, backoffDelay } from './backoff';
import { settledWithin } from './settled-within';

describe('Backoff', () => {
  it('should grow the pause with each failure in a row, up to the maximum, and start over after reset', () => {
    const exponential = new Backoff({ initialMs: 100, maxMs: 1000, growth: 'exponential' });
    expect([1, 2, 3, 4, 5].map(() => exponential.next())).toEqual([100, 200, 400, 800, 1000]);
    exponential.reset();
    expect(exponential.next()).toBe(100);
    const linear = new Backoff({ initialMs: 100, maxMs: 250, growth: 'linear' });
    expect([1, 2, 3, 4].map(() => linear.next())).toEqual([100, 200, 250, 250]);
    const constant = new Backoff({ initialMs: 5000 });
    expect([1, 2, 3].map(() => constant.next())).toEqual([5000, 5000, 5000]);
  });

  it('should not overflow after very many failures', () => {
    expect(backoffDelay({ initialMs: 100, maxMs: 2000, growth: 'exponential' }, 10_000)).toBe(2000);
  });
});

describe('settledWithin', () => {
  it('should say whether the promise settled in time, fulfilled or rejected, and never reject', async () => {
    await expect(settledWithin(Promise.resolve(1), 1000)).resolves.toBe(true);
    await expect(settledWithin(Promise.reject(new Error('no')), 1000)).resolves.toBe(true);
    await expect(settledWithin(new Promise(() => undefined), 20)).resolves.toBe(false);
  });
});
