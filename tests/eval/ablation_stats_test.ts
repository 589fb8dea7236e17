import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { meanSd, pairedDifference, tQuantile975 } from "../../lib/eval/ablation_stats.ts";
import { type SeededRun, seededTables, summariseSeeded } from "../../lib/eval/ablation_seeded.ts";
import { REPORT_COLUMNS } from "../../lib/eval/stress.ts";

const EPS = 1e-4;

Deno.test("mean and sample standard deviation use the n - 1 divisor", () => {
  assertEquals(meanSd([70, 72, 74]), { n: 3, mean: 72, sd: 2 });
  assertEquals(meanSd([5]), { n: 1, mean: 5, sd: null });
  assertEquals(meanSd([]), { n: 0, mean: null, sd: null });
});

Deno.test("the t quantile comes from the named table: 4.303 for three seeds", () => {
  assertEquals(tQuantile975(2), 4.303);
  assertEquals(tQuantile975(1), 12.706);
  // Beyond the table the df-30 value: a slightly wider interval than exact, never narrower.
  assertEquals(tQuantile975(40), 2.042);
  assertThrows(() => tQuantile975(0), RangeError);
  assertThrows(() => tQuantile975(1.5), RangeError);
});

Deno.test("a paired difference over three seeds: hand-worked interval that includes zero", () => {
  // Differences 1, 2, 1: mean 4/3, sd sqrt(1/3), half-width 4.303 x sqrt(1/3) / sqrt(3) = 4.303 / 3.
  const d = pairedDifference(
    new Map([[1, 70], [2, 72], [3, 74]]),
    new Map([[1, 71], [2, 74], [3, 75]]),
  );
  assertEquals(d.pairs, [{ seed: 1, diff: 1 }, { seed: 2, diff: 2 }, { seed: 3, diff: 1 }]);
  assertAlmostEquals(d.mean!, 4 / 3, EPS);
  assertAlmostEquals(d.sd!, Math.sqrt(1 / 3), EPS);
  assertAlmostEquals(d.halfWidth!, 4.303 / 3, EPS);
  assertAlmostEquals(d.lo!, 4 / 3 - 4.303 / 3, EPS); // -0.1010
  assertAlmostEquals(d.hi!, 4 / 3 + 4.303 / 3, EPS); // 2.7677
  assertEquals(d.verdict, "unclear");
});

Deno.test("a consistent gain over three seeds has an interval above zero", () => {
  // Differences 2, 3, 4: mean 3, sd 1, half-width 4.303 / sqrt(3) = 2.4843.
  const d = pairedDifference(
    new Map([[1, 10], [2, 10], [3, 10]]),
    new Map([[1, 12], [2, 13], [3, 14]]),
  );
  assertAlmostEquals(d.lo!, 3 - 4.303 / Math.sqrt(3), EPS);
  assertEquals(d.verdict, "higher");
  const down = pairedDifference(
    new Map([[1, 12], [2, 13], [3, 14]]),
    new Map([[1, 10], [2, 10], [3, 10]]),
  );
  assertEquals(down.verdict, "lower");
});

Deno.test("seeds only one row has are left out; one pair gives no interval", () => {
  const d = pairedDifference(new Map([[1, 1], [2, 2], [3, 3]]), new Map([[2, 7], [3, 4], [4, 9]]));
  assertEquals(d.pairs.map((p) => p.seed), [2, 3]);
  // Two pairs: df 1, t = 12.706; differences 5 and 1: mean 3, sd sqrt(8).
  assertAlmostEquals(d.halfWidth!, 12.706 * Math.sqrt(8) / Math.sqrt(2), EPS);
  const one = pairedDifference(new Map([[1, 1]]), new Map([[1, 3]]));
  assertEquals([one.mean, one.lo, one.verdict], [2, null, "too few seeds"]);
});

Deno.test("the seeded summary pairs each row with the previous recorded one", () => {
  const run = (step: SeededRun["step"], seed: number, val: number, occluded: number | null) => ({
    step,
    seed,
    dir: `${step}/seed-${seed}`,
    scores: { val, occluded },
    trainStep: 10,
  });
  const runs: SeededRun[] = [
    run("hourglass", 1, 70, 40),
    run("hourglass", 2, 72, 42),
    run("hourglass", 3, 74, null),
    run("mss", 1, 71, 41),
    run("mss", 2, 74, 45),
    run("mss", 3, 75, 47),
    // No "msr" row: "structure" is compared with "mss".
    run("structure", 1, 72, 41),
    { step: "masking", seed: 1, dir: "masking/seed-1", scores: null, trainStep: null },
  ];
  const s = summariseSeeded(runs, REPORT_COLUMNS);
  assertEquals(s.seeds, [1, 2, 3]);
  assertEquals(s.unscored, ["masking/seed-1"]);
  const hg = s.rows[0]!.cells;
  assertEquals([hg.val!.n, hg.val!.mean, hg.val!.sd], [3, 72, 2]);
  assertEquals(hg.occluded!.n, 2); // the null score is left out
  assertEquals(s.differences.map((d) => d.label), ["+ MSS vs hourglass", "+ Eq. 2 vs + MSS"]);
  assertAlmostEquals(s.differences[0]!.cells.val!.mean!, 4 / 3, EPS);
  assertEquals(s.differences[0]!.cells.occluded!.n, 2);
  assertEquals(s.differences[1]!.cells.val!.verdict, "too few seeds");
  const { means, differences } = seededTables(s);
  assertEquals(means.header.slice(0, 2), ["row", "validation"]);
  assertEquals(means.header.at(-1), "joint movement (lower is better)");
  assertEquals(means.rows[0]!.slice(0, 2), ["Hourglass (Newell et al.)", "72.00 ± 2.00 (n=3)"]);
  assertEquals(means.rows[2]![1], "-");
  assertEquals(differences.rows[0]![1], "+1.33 [-0.10, +2.77]");
  assertEquals(differences.rows[1]![1], "+1.00 [-, -]");
});
