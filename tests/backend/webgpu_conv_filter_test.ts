import { assert, assertEquals } from "@std/assert";
import { planSplit, tileColumns } from "../../lib/backend/webgpu_conv_filter.ts";

Deno.test("split-K leaves a filter gradient with many output tiles in one pass", () => {
  // 64 x 64 tiles of 64 x 64: already enough workgroups.
  assertEquals(planSplit(1000, 4096, 4096), { slices: 1, sliceLength: 1008 });
});

Deno.test("split-K cuts a long reduction over a small filter into slices of at least 256 rows", () => {
  // One 64 x 64 tile over 16 images of 64 x 64 pixels: 256 slices of 256 output pixels.
  assertEquals(planSplit(65536, 64, 64), { slices: 256, sliceLength: 256 });
  // The paper's 3x3 256 -> 256 layer at batch 16 and 64 x 64: 144 tiles x 8 slices.
  assertEquals(planSplit(65536, 2304, 256), { slices: 8, sliceLength: 8192 });
});

Deno.test("split-K slices cover the reduction exactly once, in whole 16-row steps", () => {
  for (const m of [1, 15, 16, 17, 255, 2883, 65536, 1_000_003]) {
    for (const [k, n] of [[3, 5], [147, 64], [2304, 256], [4608, 4608]]) {
      const { slices, sliceLength } = planSplit(m, k!, n!);
      assertEquals(sliceLength % 16, 0);
      assert(slices * sliceLength >= m, `${m}x${k}x${n} not covered`);
      assert((slices - 1) * sliceLength < m, `${m}x${k}x${n}: an empty slice`);
      assert(slices === 1 || slices * k! * n! <= 16 * 1024 * 1024, `${m}x${k}x${n}: too big`);
    }
  }
});

Deno.test("a narrow layer's filter gradient gets tiles as wide as its output channels", () => {
  assertEquals([256, 64, 33, 32, 17, 16, 5].map(tileColumns), [64, 64, 64, 32, 32, 16, 16]);
  // 3x3 32 -> 32 at batch 2, 16 x 16: five 64 x 32 tiles, two slices of 256 output pixels.
  assertEquals(planSplit(512, 288, 32), { slices: 2, sliceLength: 256 });
});
