import { assertEquals, assertThrows } from "@std/assert";
import {
  FLIC_JOINTS,
  FLIC_TO_MPII,
  J,
  type Keypoint,
  LSP_JOINTS,
  LSP_TO_MPII,
  MPII_JOINTS,
  remapKeypoints,
} from "../../lib/skeleton/mod.ts";

Deno.test("LSP joints land on the MPII channels of the same name", () => {
  LSP_JOINTS.forEach((name, i) => {
    const target = MPII_JOINTS[LSP_TO_MPII[i]!];
    assertEquals(target, name === "neck" ? "upper_neck" : name);
  });
});

Deno.test("FLIC joints land on MPII channels of the same name, eyes and nose dropped", () => {
  FLIC_JOINTS.forEach((name, i) => {
    const t = FLIC_TO_MPII[i]!;
    if (t < 0) assertEquals(["l_eye", "r_eye", "nose"].includes(name), true);
    else assertEquals(MPII_JOINTS[t], name);
  });
});

Deno.test("remapping LSP keypoints leaves pelvis and thorax missing", () => {
  const lsp: Keypoint[] = LSP_JOINTS.map((_, i) => [i, 10 * i, 2]);
  const mpii = remapKeypoints(lsp, LSP_TO_MPII);
  assertEquals(mpii.length, 16);
  assertEquals(mpii[J.pelvis], [0, 0, 0]);
  assertEquals(mpii[J.thorax], [0, 0, 0]);
  assertEquals(mpii[J.head_top], [13, 130, 2]);
  assertEquals(mpii[J.r_wrist], [6, 60, 2]);
});

Deno.test("a wrong joint count is reported with both counts", () => {
  assertThrows(
    () => remapKeypoints([[0, 0, 2]], LSP_TO_MPII),
    Error,
    "got 1 keypoints for a 14-joint set",
  );
});
