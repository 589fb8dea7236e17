import { assertEquals } from "@std/assert";
import {
  areaUnderCurve,
  jointRates,
  meanRate,
  normalizedErrors,
  pooledRate,
  thresholdRange,
} from "../../lib/metrics/mod.ts";

Deno.test("errors are distances over the normaliser, NaN when missing, Infinity for NaN predictions", () => {
  const gt = { count: 1, numJoints: 3, coords: [0, 0, 10, 0, 20, 0], visibility: [2, 0, 1] };
  const e = normalizedErrors(gt, [3, 4, 99, 99, NaN, 0], [10]);
  assertEquals(Array.from(e.errors), [0.5, NaN, Infinity]);
  assertEquals(e.nonFinitePredictions, 1);
});

Deno.test("joint rates count below-threshold joints among those kept", () => {
  const e = {
    count: 2,
    numJoints: 2,
    errors: Float64Array.of(0.1, 0.5, NaN, 0.7),
    visibility: Uint8Array.of(2, 2, 0, 2),
    excludedPeople: [],
    nonFinitePredictions: 0,
  };
  assertEquals(jointRates(e, 0.5, "<"), { correct: [1, 0], counts: [1, 2], rates: [100, 0] });
  assertEquals(jointRates(e, 0.5, "<=").rates, [100, 50]);
  assertEquals(jointRates(e, 0.5, "<=", [1, 0, 1, 1]).counts, [1, 1]);
});

Deno.test("the mean of rates and the pooled rate differ when counts differ", () => {
  const r = { correct: [1, 1], counts: [1, 4], rates: [100, 25] };
  assertEquals(meanRate(r, [0, 1]), 62.5);
  assertEquals(pooledRate(r, [0, 1]), 40);
  assertEquals(meanRate({ correct: [0], counts: [0], rates: [null] }, [0]), null);
});

Deno.test("the area under a curve is normalised by the x range", () => {
  assertEquals(areaUnderCurve([0, 0.25, 0.5], [0, 50, 100]), 50);
  assertEquals(areaUnderCurve([0, 1], [100, 100]), 100);
  assertEquals(areaUnderCurve([0], [1]), null);
  assertEquals(areaUnderCurve([0, 1], [1, null]), null);
});

Deno.test("threshold ranges are exact decimals", () => {
  assertEquals(thresholdRange(0.5, 0.1), [0, 0.1, 0.2, 0.3, 0.4, 0.5]);
  assertEquals(thresholdRange(0.2, 0.01).length, 21);
  assertEquals(thresholdRange(0.5, 0.01)[29], 0.29);
});
