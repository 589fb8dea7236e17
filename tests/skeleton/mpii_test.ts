import { assertEquals } from "@std/assert";
import {
  EDGES,
  FLIP_INDEX,
  FLIP_PAIRS,
  J,
  JOINT_SIDES,
  MPII_JOINTS,
  NUM_JOINTS,
  PART_JOINTS,
} from "../../lib/skeleton/mod.ts";

Deno.test("the joint order is the one of the MPII evaluation files", () => {
  assertEquals(NUM_JOINTS, 16);
  assertEquals(
    [J.r_ankle, J.r_knee, J.r_hip, J.l_hip, J.l_knee, J.l_ankle, J.pelvis, J.thorax],
    [0, 1, 2, 3, 4, 5, 6, 7],
  );
  assertEquals(
    [
      J.upper_neck,
      J.head_top,
      J.r_wrist,
      J.r_elbow,
      J.r_shoulder,
      J.l_shoulder,
      J.l_elbow,
      J.l_wrist,
    ],
    [8, 9, 10, 11, 12, 13, 14, 15],
  );
});

Deno.test("flipping twice is the identity and swaps exactly the left/right joints", () => {
  FLIP_INDEX.forEach((f, j) => assertEquals(FLIP_INDEX[f], j));
  for (const [r, l] of FLIP_PAIRS) {
    assertEquals(MPII_JOINTS[r]!.replace("r_", ""), MPII_JOINTS[l]!.replace("l_", ""));
    assertEquals(FLIP_INDEX[r], l);
  }
  const fixed = FLIP_INDEX.flatMap((f, j) => (f === j ? [MPII_JOINTS[j]] : []));
  assertEquals(fixed, ["pelvis", "thorax", "upper_neck", "head_top"]);
});

Deno.test("the skeletal graph is a tree spanning all 16 joints", () => {
  assertEquals(EDGES.length, NUM_JOINTS - 1);
  const parent = Array.from({ length: NUM_JOINTS }, (_, i) => i);
  const root = (i: number): number => (parent[i] === i ? i : root(parent[i]!));
  for (const e of EDGES) {
    const a = root(e.from), b = root(e.to);
    assertEquals(a === b, false, `edge ${e.from}-${e.to} closes a cycle`);
    parent[a] = b;
  }
  assertEquals(new Set(MPII_JOINTS.map((_, j) => root(j))).size, 1);
});

Deno.test("edges and joints on one side of the body stay on that side", () => {
  for (const e of EDGES) {
    if (e.side !== "centre") {
      assertEquals([JOINT_SIDES[e.from], JOINT_SIDES[e.to]].includes(e.side), true);
    }
  }
});

Deno.test("PCKh table parts name the joints eval_PCKh.py averages", () => {
  assertEquals(PART_JOINTS.Head, [9]);
  assertEquals(PART_JOINTS.Shoulder, [12, 13]);
  assertEquals(PART_JOINTS.Ankle, [0, 5]);
});
