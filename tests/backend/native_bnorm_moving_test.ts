import { assertEquals } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { initBackend, loadNative, setNativeKernelsEnabled } from "../../lib/backend/mod.ts";
import { nativeMovingAverages } from "../../lib/backend/native_bnorm_moving.ts";
import { nativeCallCounts } from "../../lib/backend/native_conv.ts";

// Starting the wasm backend starts its thread pool, which lives as long as the process.
const BACKEND_TEST = { sanitizeOps: false, sanitizeResources: false };

const status = loadNative();
const SKIP = status.loaded ? "" : ` (skipped: ${status.reason}; ${status.hint})`;

/** The bit patterns of a float32 tensor, so that equality means bit-identical. */
function bits(t: tf.Tensor): number[] {
  return Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));
}

Deno.test({
  name: `the native moving-average kernel updates BatchNorm's moving mean and variance ` +
    `bit-identically to tfjs-layers' ops, in one kernel call and without leaks${SKIP}`,
  ignore: !status.loaded,
  ...BACKEND_TEST,
  fn: async () => {
    await initBackend("wasm", () => {});
    setNativeKernelsEnabled(true);
    const c = 257; // not a multiple of any SIMD width
    // Statistics of several magnitudes, so that the float32 roundings of each step matter.
    const scale = tf.pow(10, tf.randomUniform([c], -3, 3, "float32", 5));
    const movingMean = tf.mul(tf.randomNormal([c], 0, 1, "float32", 1), scale);
    const movingVariance = tf.mul(tf.randomUniform([c], 0, 2, "float32", 2), scale);
    const mean = tf.mul(tf.randomNormal([c], 0, 1, "float32", 3), scale);
    const variance = tf.mul(tf.randomUniform([c], 0, 2, "float32", 4), scale);
    // 1 - momentum for tfjs-layers' default (0.99), the kit's models and an arbitrary one.
    for (const decay of [1 - 0.99, 1 - 0.9, 0.3337]) {
      const tensors = tf.memory().numTensors;
      const before = nativeCallCounts.KitBatchNormMovingAverages?.native ?? 0;
      const next = nativeMovingAverages(movingMean, movingVariance, mean, variance, decay);
      if (!next) throw new Error("the native path refused float32 statistics on wasm");
      assertEquals(nativeCallCounts.KitBatchNormMovingAverages?.native, before + 1);
      const ops = tf.tidy(() =>
        [[movingMean, mean], [movingVariance, variance]].map(([old, batch]) =>
          tf.sub(old!, tf.mul(tf.sub(old!, batch!), decay))
        )
      );
      for (const i of [0, 1]) {
        assertEquals(bits(next[i]!), bits(ops[i]!), `decay ${decay}, statistic ${i}`);
      }
      tf.dispose([...next, ...ops]);
      assertEquals(tf.memory().numTensors, tensors, "tensors leaked");
    }
    // Off with the native kernels, and on any other backend: the caller keeps the tfjs ops.
    setNativeKernelsEnabled(false);
    assertEquals(nativeMovingAverages(movingMean, movingVariance, mean, variance, 0.1), undefined);
    setNativeKernelsEnabled(true);
    tf.dispose([scale, movingMean, movingVariance, mean, variance]);
    await initBackend("cpu", () => {});
    const v = tf.ones([3]);
    assertEquals(nativeMovingAverages(v, v, v, v, 0.1), undefined);
    v.dispose();
  },
});
