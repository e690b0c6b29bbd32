const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `work` on every item, at most `perSecond` started in any second, all of a second's share at once: the calls
 * of one wave go out together, and a wave waits only when the quota would be exceeded. Failures are returned with
 * their item, not thrown, so one refused call does not stop the rest.
 */
export const forEachPaced = async <T, R>(
  items: readonly T[],
  perSecond: number,
  work: (item: T) => Promise<R>,
): Promise<Array<{ item: T; ok: true; value: R } | { item: T; ok: false; error: Error }>> => {
  const results: Array<{ item: T; ok: true; value: R } | { item: T; ok: false; error: Error }> = [];
  for (let start = 0; start < items.length; start += perSecond) {
    const began = Date.now();
    const wave = items.slice(start, start + perSecond);
    results.push(
      ...(await Promise.all(
        wave.map(async (item) => {
          try {
            return { item, ok: true as const, value: await work(item) };
          } catch (error) {
            return { item, ok: false as const, error: error instanceof Error ? error : new Error(String(error)) };
          }
        }),
      )),
    );
    const elapsed = Date.now() - began;
    if (start + perSecond < items.length && elapsed < 1000) await sleep(1000 - elapsed);
  }
  return results;
};
