import { assertEquals } from "@std/assert";
import { sideConfusion } from "../../lib/metrics/sides.ts";

// Three joints: 0 and 1 mirror each other (a left and a right wrist), 2 is on the midline (head).
const FLIP = [1, 0, 2];

Deno.test("joints put on the wrong side count as misses as-is and as hits with sides swapped", () => {
  const gt = { count: 1, numJoints: 3, coords: [0, 0, 10, 0, 5, 5], visibility: [2, 2, 2] };
  // Left and right exchanged, head right: as-is only the head is within 0.5 x 4 = 2 px.
  const r = sideConfusion(gt, [10, 0, 0, 0, 5, 6], [4], FLIP, 0.5);
  assertEquals(r, { asIs: 1 / 3, bestSide: 1, swappedPeople: 1, joints: 3 });
});

Deno.test("a person counts once, with the better of its two readings, never both", () => {
  const gt = {
    count: 2,
    numJoints: 3,
    coords: [0, 0, 10, 0, 5, 5, 0, 0, 10, 0, 5, 5],
    visibility: [2, 2, 2, 2, 0, 2],
  };
  const pred = [
    ...[0, 0, 10, 0, 5, 5], // person 0: exact, swapping would lose both wrists
    ...[10, 0, 99, 99, 50, 50], // person 1: its left wrist sits where the right one is; head wrong
  ];
  const r = sideConfusion(gt, pred, [4, 4], FLIP, 0.5);
  // Person 0: 3 of 3 as-is. Person 1 (2 annotated): 0 as-is; swapped, its left wrist reads the
  // right prediction (99, 99): still 0. So swapping helps nobody.
  assertEquals(r, { asIs: 3 / 5, bestSide: 3 / 5, swappedPeople: 0, joints: 5 });
});

Deno.test("people without a usable head size are left out", () => {
  const gt = {
    count: 2,
    numJoints: 3,
    coords: new Array(12).fill(0),
    visibility: new Array(6).fill(2),
  };
  const r = sideConfusion(gt, new Array(12).fill(0), [4, 0], FLIP, 0.5);
  assertEquals(r.joints, 3);
  assertEquals(r.asIs, 1);
});
