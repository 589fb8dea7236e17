import { assert, assertEquals } from "@std/assert";
import { planChunks } from "../../lib/backend/webgpu_bnorm.ts";
import { BN_SHAPES, MOMENTA, SHAPES, STEPS } from "./webgpu_fused_child.ts";
import { runWebGpuChild } from "./webgpu_child_run.ts";

// The suite's second pass (KIT_TEST_BACKEND) would only repeat these.
const secondPass = Deno.env.get("KIT_TEST_BACKEND") !== undefined;

// One child process for both tests.
// deno-lint-ignore no-explicit-any
let child: Promise<any | null> | undefined;
const fusedChild = () => child ??= runWebGpuChild("webgpu_fused_child.ts");

/** Relative error allowed against the cpu backend: max |webgpu - cpu| / max |cpu|. */
const TOLERANCE = 1e-4;

Deno.test({
  name: "the kit's fused webgpu RMSprop update matches the cpu backend with and without momentum",
  ignore: secondPass,
}, async () => {
  const r = await fusedChild();
  if (r === null) return;
  // Every update on webgpu ran the fused kernel, not tfjs's ops.
  assertEquals(r.kitRuns.RMSPropUpdate, STEPS * MOMENTA.length);
  const sizes = SHAPES.map((s) => s.reduce((a, b) => a * b, 1));
  for (const c of r.results) {
    // Weights, then the mean squares, then the moments (the optimizer's getWeights order).
    assertEquals(c.lengths, [...sizes, ...sizes, ...sizes]);
    // The updates moved the weights: a comparison of untouched weights would prove nothing.
    assert(c.moved > 1e-3, `weights moved by ${c.moved}`);
    c.errors.forEach((e: number, i: number) =>
      assert(e < TOLERANCE, `momentum ${c.momentum}, result ${i}: relative error ${e}`)
    );
  }
});

Deno.test({
  name: "the kit's fused webgpu BatchNorm matches the cpu backend forward and backward",
  ignore: secondPass,
}, async () => {
  const r = await fusedChild();
  if (r === null) return;
  // Each case: one forward for the values and one forward + backward for the gradients.
  // Plus the layer case's two training calls.
  assertEquals(r.kitRuns.BatchNormForward, 2 * BN_SHAPES.length + 2);
  assertEquals(r.kitRuns.BatchNormBackward, BN_SHAPES.length);
  // Every backward wrote dβ and dγ as two tensors from its reduction (no [2, C] tensor unpacked).
  assertEquals(r.kitRuns.BatchNormGradSums, BN_SHAPES.length);
  const names = ["y", "mean", "variance", "dx", "dgamma", "dbeta"];
  // Some cases run the chunked reductions (several chunks of rows and a combining pass).
  const rowsOf = (s: readonly number[]) => s.slice(0, -1).reduce((a, b) => a * b, 1);
  assert(BN_SHAPES.some((s) => planChunks(rowsOf(s), s.at(-1)!).chunks > 1));
  for (const c of r.batchNorm) {
    const size = c.shape.reduce((a: number, b: number) => a * b, 1);
    const channels = c.shape.at(-1);
    assertEquals(c.lengths, [size, channels, channels, size, channels, channels]);
    assertEquals(c.leaked, 0, `${c.shape}: tensors left behind`);
    c.errors.forEach((e: number, i: number) =>
      assert(e < TOLERANCE, `${c.shape} ${names[i]}: relative error ${e}`)
    );
  }
  // A layer's output and moving averages (updated by the fused path) after two training calls.
  assertEquals(r.layer.length, 3);
  r.layer.forEach((e: number, i: number) =>
    assert(e < TOLERANCE, `layer ${["y", "moving mean", "moving variance"][i]}: error ${e}`)
  );
});

Deno.test({
  name: "the kit's fused webgpu ReLU gradient matches the cpu backend",
  ignore: secondPass,
}, async () => {
  const r = await fusedChild();
  if (r === null) return;
  // This case only: the layer case runs no gradient.
  assertEquals(r.kitRuns.ReluGradFromOutput, 1);
  assert(r.relu < TOLERANCE, `relative error ${r.relu}`);
});

Deno.test({
  name: "the kit's webgpu Sum over all axes but the channels matches the cpu backend",
  ignore: secondPass,
}, async () => {
  const r = await fusedChild();
  if (r === null) return;
  // Over [0, 1, 2], over [2, 0, 1] with keepDims, over rows of a 2-D input, and over 7,560 rows
  // (chunked); not over axis 1.
  assertEquals(r.sum.kitRuns, 4);
  assert(planChunks(7560, 40).chunks > 1);
  assertEquals(r.sum.shapes, r.sum.wantShapes);
  r.sum.errors.forEach((e: number, i: number) => assert(e < TOLERANCE, `sum ${i}: error ${e}`));
});
