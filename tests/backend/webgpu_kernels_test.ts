import { assert, assertEquals } from "@std/assert";
import { FILTER_CASES } from "./webgpu_kernels_child.ts";
import { runWebGpuChild } from "./webgpu_child_run.ts";

// The suite's second pass (KIT_TEST_BACKEND) would only repeat these.
const secondPass = Deno.env.get("KIT_TEST_BACKEND") !== undefined;

/** Relative error allowed against the cpu backend: max |webgpu - cpu| / max |cpu|. */
const TOLERANCE = 1e-4;

Deno.test({
  name: "the kit's webgpu filter and input gradients match the cpu backend for 1x1, 3x3 and 7x7",
  ignore: secondPass,
}, async () => {
  const r = await runWebGpuChild("webgpu_kernels_child.ts");
  if (r === null) return;
  // Every case ran the kit's kernels, not tfjs's fallback.
  assertEquals(r.kitRuns, {
    Conv2DBackpropFilter: FILTER_CASES.length,
    // The RGB cases (3 input channels) stay on tfjs's input gradient.
    Conv2DBackpropInput: FILTER_CASES.filter((c) => c.x[3] % 4 === 0).length,
  });
  assertEquals(r.results.length, FILTER_CASES.length);
  assert(r.results.some((c: { slices: number }) => c.slices > 1), "no case used split-K");
  for (const [i, c] of FILTER_CASES.entries()) {
    const got = r.results[i];
    assertEquals(got.dwShape, c.filter, c.name);
    assertEquals(got.dxShape, c.x, c.name);
    assert(got.dwError < TOLERANCE, `${c.name}: filter gradient relative error ${got.dwError}`);
    assert(got.dxError < TOLERANCE, `${c.name}: input gradient relative error ${got.dxError}`);
  }
});
