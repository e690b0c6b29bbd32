/** A small deterministic generator: the same traffic on every run. */
export const random = (seed: number) => () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  return seed / 2_147_483_648;
};

/** One of `items`, chosen with the given weights, from a uniform draw `r` in [0, 1). */
export const pick = <T>(items: readonly T[], weights: readonly number[], r: number): T => {
  const total = weights.reduce((a, b) => a + b, 0);
  let at = r * total;
  for (const [i, item] of items.entries()) {
    at -= weights[i]!;
    if (at <= 0) return item;
  }
  return items.at(-1)!;
};

/** Zipf weights: the first caller busiest, the n-th about 1/n as busy. Real callers are skewed like this. */
export const zipfWeights = (count: number, exponent = 1.1): number[] =>
  Array.from({ length: count }, (_, i) => 1 / (i + 1) ** exponent);
