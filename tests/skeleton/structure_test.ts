import { assertEquals, assertThrows } from "@std/assert";
import { EDGES, J, STRUCTURE_GROUPS, validateGroups } from "../../lib/skeleton/mod.ts";

Deno.test("elbows and knees get the triplets of Ke et al. §III-C", () => {
  assertEquals(STRUCTURE_GROUPS[J.r_elbow], [J.r_elbow, J.r_shoulder, J.r_wrist]);
  assertEquals(STRUCTURE_GROUPS[J.l_elbow], [J.l_elbow, J.l_shoulder, J.l_wrist]);
  assertEquals(STRUCTURE_GROUPS[J.r_knee], [J.r_knee, J.r_hip, J.r_ankle]);
  assertEquals(STRUCTURE_GROUPS[J.l_knee], [J.l_knee, J.l_hip, J.l_ankle]);
});

Deno.test("the paper's pairs head-thorax and hip-hip are groups", () => {
  assertEquals(STRUCTURE_GROUPS[J.head_top], [J.head_top, J.thorax]);
  assertEquals(STRUCTURE_GROUPS[J.r_hip], [J.r_hip, J.l_hip]);
  assertEquals(STRUCTURE_GROUPS[J.l_hip], [J.l_hip, J.r_hip]);
});

Deno.test("every group other than the head and hips follows skeletal edges", () => {
  const connected = (a: number, b: number) =>
    EDGES.some((e) => (e.from === a && e.to === b) || (e.from === b && e.to === a));
  STRUCTURE_GROUPS.forEach((g, n) => {
    if (n === J.head_top || n === J.r_hip || n === J.l_hip) return;
    for (const k of g.slice(1)) assertEquals(connected(n, k), true, `${n}-${k} is not a bone`);
  });
});

Deno.test("malformed neighbour groups are rejected with the group named", () => {
  assertThrows(() => validateGroups([[1, 0], [1]], 2), Error, "group 0 must start with joint 0");
  assertThrows(() => validateGroups([[0, 0], [1]], 2), Error, "group 0 repeats a joint");
  assertThrows(() => validateGroups([[0, 5], [1]], 2), Error, "group 0 names joint 5");
  assertThrows(() => validateGroups([[0]], 2), Error, "expected 2 neighbour groups");
});
