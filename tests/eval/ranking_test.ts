import { assertEquals, assertThrows } from "@std/assert";
import { personKeypoints, rankPeople } from "../../lib/eval/ranking.ts";

Deno.test("people are ranked by joints within the threshold, then by mean distance", () => {
  // Three people, two joints each, head size 10: errors in head sizes noted per person.
  const gt = {
    count: 4,
    numJoints: 2,
    coords: [0, 0, 10, 0, 0, 0, 10, 0, 0, 0, 10, 0, 0, 0, 10, 0],
    visibility: [2, 2, 2, 1, 2, 2, 0, 0],
  };
  const preds = [
    [3, 0, 10, 0], // 0.3, 0 -> 2/2, mean 0.15
    [1, 0, 10, 1], // 0.1, 0.1 -> 2/2, mean 0.1
    [9, 0, 10, 0], // 0.9, 0 -> 1/2
    [0, 0, 0, 0], // nothing annotated: left out
  ].flat();
  const ranked = rankPeople({
    gt,
    preds: Float64Array.from(preds),
    norms: Float64Array.from([10, 10, 10, 10]),
    ids: ["a", "b", "c", "d"],
    indices: [7, 8, 9, 10],
  });
  assertEquals(ranked.map((r) => r.id), ["b", "a", "c"]);
  assertEquals(ranked.map((r) => [r.correct, r.annotated]), [[2, 2], [2, 2], [1, 2]]);
  assertEquals(ranked[2]!.index, 9);
  assertEquals(ranked[0]!.meanError, 0.1);
});

Deno.test("a NaN prediction ranks its person last among equals", () => {
  const gt = { count: 2, numJoints: 1, coords: [0, 0, 0, 0], visibility: [2, 2] };
  const ranked = rankPeople({
    gt,
    preds: Float64Array.from([NaN, NaN, 8, 0]),
    norms: Float64Array.from([10, 10]),
    ids: ["nan", "far"],
    indices: [0, 1],
  });
  assertEquals(ranked.map((r) => r.id), ["far", "nan"]);
  assertEquals(ranked[1]!.meanError, Infinity);
});

Deno.test("a person's keypoints for drawing leave out joints without ground truth", () => {
  const ev = {
    gt: {
      count: 2,
      numJoints: 3,
      coords: [1, 2, 3, 4, 5, 6, 0, 0, 0, 0, 0, 0],
      visibility: [2, 1, 0, 0, 0, 0],
    },
    preds: Float64Array.from([10, 20, 30, 40, 50, 60, 0, 0, 0, 0, 0, 0]),
  };
  const { prediction, groundTruth } = personKeypoints(ev, 0);
  assertEquals(prediction, [[10, 20, 2], [30, 40, 2], [0, 0, 0]]);
  assertEquals(groundTruth, [[1, 2, 2], [3, 4, 1], [0, 0, 0]]);
  assertThrows(() => personKeypoints(ev, 2), RangeError);
});
