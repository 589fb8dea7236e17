/**
 * The statistics of a seeded ablation: per row and split the mean and sample standard deviation
 * over seeds, and for each step the paired difference to the row before it (row k minus row
 * k-1, paired by seed: the same seed gives both rows the same initial-weight stream and the same
 * sample order) with its 95% t-interval. With three seeds the interval is the mean difference
 * +- 4.303 x sd / sqrt(3): wide, so a step counts as a change only when its interval excludes
 * zero.
 *
 * @module
 */

/**
 * Two-sided 95% quantiles of Student's t (the 0.975 quantile) by degrees of freedom 1-30, from
 * the standard table. Beyond 30 the df-30 value is used, a slightly wider interval than exact.
 */
export const T_QUANTILE_975: Readonly<Record<number, number>> = {
  1: 12.706,
  2: 4.303,
  3: 3.182,
  4: 2.776,
  5: 2.571,
  6: 2.447,
  7: 2.365,
  8: 2.306,
  9: 2.262,
  10: 2.228,
  11: 2.201,
  12: 2.179,
  13: 2.16,
  14: 2.145,
  15: 2.131,
  16: 2.12,
  17: 2.11,
  18: 2.101,
  19: 2.093,
  20: 2.086,
  21: 2.08,
  22: 2.074,
  23: 2.069,
  24: 2.064,
  25: 2.06,
  26: 2.056,
  27: 2.052,
  28: 2.048,
  29: 2.045,
  30: 2.042,
};

/** The largest df of {@link T_QUANTILE_975}. */
const T_TABLE_MAX_DF = 30;

/**
 * The 0.975 quantile of Student's t with `df` degrees of freedom (a 95% two-sided interval).
 *
 * @example
 * ```ts
 * tQuantile975(2); // 4.303 (three seeds)
 * ```
 */
export function tQuantile975(df: number): number {
  if (!Number.isInteger(df) || df < 1) {
    throw new RangeError(`t quantile: degrees of freedom must be an integer >= 1; got ${df}`);
  }
  return T_QUANTILE_975[Math.min(df, T_TABLE_MAX_DF)]!;
}

/** Mean and sample standard deviation (n - 1) of some numbers; sd is null below two. */
export interface MeanSd {
  readonly n: number;
  readonly mean: number | null;
  readonly sd: number | null;
}

/**
 * Mean and sample standard deviation (divisor n - 1).
 *
 * @example
 * ```ts
 * meanSd([70, 72, 74]); // { n: 3, mean: 72, sd: 2 }
 * ```
 */
export function meanSd(values: readonly number[]): MeanSd {
  const n = values.length;
  if (n === 0) return { n, mean: null, sd: null };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { n, mean, sd: null };
  const ss = values.reduce((a, v) => a + (v - mean) ** 2, 0);
  return { n, mean, sd: Math.sqrt(ss / (n - 1)) };
}

/**
 * What a paired difference's 95% interval says: the later row scores `higher` or `lower` (the
 * interval excludes zero), `unclear` (it includes zero), or there are fewer than two pairs.
 */
export type DifferenceVerdict = "higher" | "lower" | "unclear" | "too few seeds";

/** A paired difference over seeds with its 95% t-interval. */
export interface PairedDifference extends MeanSd {
  /** The seeds both rows have, in ascending order, with their differences. */
  readonly pairs: readonly { readonly seed: number; readonly diff: number }[];
  /** Half-width of the 95% interval (t x sd / sqrt(n)); null below two pairs. */
  readonly halfWidth: number | null;
  readonly lo: number | null;
  readonly hi: number | null;
  readonly verdict: DifferenceVerdict;
}

/**
 * The difference `after - before` paired by seed, with its 95% t-interval (df = pairs - 1).
 * Seeds only one side has are left out.
 *
 * @example
 * ```ts
 * const before = new Map([[1, 70], [2, 72], [3, 74]]);
 * const after = new Map([[1, 71], [2, 74], [3, 75]]);
 * pairedDifference(before, after); // mean 4/3, sd 0.577, interval 4/3 +- 4.303 x 0.577 / sqrt 3
 * ```
 */
export function pairedDifference(
  before: ReadonlyMap<number, number>,
  after: ReadonlyMap<number, number>,
): PairedDifference {
  const seeds = [...after.keys()].filter((s) => before.has(s)).sort((a, b) => a - b);
  const pairs = seeds.map((seed) => ({ seed, diff: after.get(seed)! - before.get(seed)! }));
  const stats = meanSd(pairs.map((p) => p.diff));
  if (stats.sd === null || stats.mean === null) {
    return { ...stats, pairs, halfWidth: null, lo: null, hi: null, verdict: "too few seeds" };
  }
  const halfWidth = tQuantile975(stats.n - 1) * stats.sd / Math.sqrt(stats.n);
  const lo = stats.mean - halfWidth, hi = stats.mean + halfWidth;
  return {
    ...stats,
    pairs,
    halfWidth,
    lo,
    hi,
    verdict: lo > 0 ? "higher" : hi < 0 ? "lower" : "unclear",
  };
}
