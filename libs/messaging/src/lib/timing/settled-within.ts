/**
 * Waits for `promise` to settle (fulfil or reject), but no longer than `ms`: true when it settled in
 * time, false when the time ran out. Never rejects; the timer is cleared as soon as the promise settles.
 */
export async function settledWithin(promise: PromiseLike<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(ms, 0));
  });
  try {
    return await Promise.race([
      Promise.resolve(promise).then(
        () => true,
        () => true,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
