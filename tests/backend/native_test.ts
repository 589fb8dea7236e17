import { assert, assertEquals, assertGreater, assertLess } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import {
  type BackendChoice,
  describeChoice,
  initBackend,
  loadNative,
  nativeBatchNormTraining,
  nativePrimitiveCount,
} from "../../lib/backend/mod.ts";
import { BACKEND_TEST, rand, relativeErrors, run } from "./native_paths.ts";
import { nativeCallCounts } from "../../lib/backend/native_conv.ts";
import { batchNormTraining, withClosedFormTraining } from "../../lib/models/batchnorm.ts";

const status = loadNative();
const SKIP = status.loaded ? "" : ` (skipped: ${status.reason}; ${status.hint})`;
if (!status.loaded) {
  console.warn(`native_test: oneDNN not loaded, native checks skipped: ${status.reason}`);
}

function nativeCalls(): number {
  return Object.values(nativeCallCounts).reduce((n, c) => n + c.native, 0);
}

/** The output, dx, dW and dBias of a fused convolution (bias, `activation`) under a random loss. */
function fusedConvGrads(
  xShape: number[],
  fShape: number[],
  stride: number,
  pad: "same" | "valid",
  activation: "linear" | "relu",
): () => tf.Tensor[] {
  return () => {
    const conv = (x: tf.Tensor, f: tf.Tensor, b: tf.Tensor) =>
      tf.fused.conv2d({
        x: x as tf.Tensor4D,
        filter: f as tf.Tensor4D,
        strides: stride,
        pad,
        bias: b,
        activation,
      });
    const inputs = [rand(xShape, 1), rand(fShape, 2), rand([fShape[3]!], 3)] as const;
    const y = conv(...inputs);
    const weight = rand(y.shape, 9);
    const grads = tf.grads((x: tf.Tensor, f: tf.Tensor, b: tf.Tensor) =>
      conv(x, f, b).mul(weight).sum()
    )([...inputs]);
    return [y, ...grads];
  };
}

const CASES: [string, number[], number[], number, "same" | "valid"][] = [];
for (const k of [1, 3, 7]) {
  for (const stride of [1, 2]) {
    for (const pad of ["same", "valid"] as const) {
      CASES.push([`${k}x${k} stride ${stride} ${pad}`, [2, 11, 10, 5], [k, k, 5, 6], stride, pad]);
    }
  }
}

Deno.test({
  name: `native convolutions (forward, input and filter gradients) match the cpu backend, and so ` +
    `does plain wasm${SKIP}`,
  ignore: !status.loaded,
  ...BACKEND_TEST,
  fn: async () => {
    for (const [label, xShape, fShape, stride, pad] of CASES) {
      for (const activation of ["linear", "relu"] as const) {
        const f = fusedConvGrads(xShape, fShape, stride, pad, activation);
        const before = nativeCalls();
        const native = await run("native", f);
        // Forward, input gradient and filter gradient all went native.
        assertGreater(nativeCalls() - before, 2, `${label}: the native kernels did not run`);
        const middle = nativeCalls();
        const wasm = await run("wasm", f);
        assertEquals(nativeCalls(), middle, `${label}: native kernels ran while switched off`);
        const cpu = await run("cpu", f);
        for (const [path, values] of [["native", native], ["wasm", wasm]] as const) {
          for (const e of relativeErrors(values, cpu)) {
            assertLess(e, 1e-4, `${path} ${label} ${activation}: relative error ${e}`);
          }
        }
      }
    }
  },
});

Deno.test({
  name: `native batch normalisation (given statistics) matches the cpu backend${SKIP}`,
  ignore: !status.loaded,
  ...BACKEND_TEST,
  fn: async () => {
    for (const [withScale, withOffset] of [[true, true], [false, true], [true, false]]) {
      const f = () => {
        const c = 6;
        const variance = tf.randomUniform([c], 0.1, 2, "float32", 4);
        return [tf.batchNorm(
          rand([2, 5, 4, c], 1),
          rand([c], 2) as tf.Tensor1D,
          variance as tf.Tensor1D,
          withOffset ? rand([c], 3) as tf.Tensor1D : undefined,
          withScale ? rand([c], 5) as tf.Tensor1D : undefined,
          1e-3,
        )];
      };
      const before = nativeCallCounts.FusedBatchNorm?.native ?? 0;
      const native = await run("native", f);
      assertEquals(nativeCallCounts.FusedBatchNorm?.native, before + 1);
      const cpu = await run("cpu", f);
      for (const e of relativeErrors(native, cpu)) {
        assertLess(e, 1e-4, `scale ${withScale}, offset ${withOffset}: relative error ${e}`);
      }
    }
  },
});

Deno.test({
  name: `native training batch normalisation (output, statistics, gradients) matches the kit's ` +
    `closed form on the cpu backend${SKIP}`,
  ignore: !status.loaded,
  ...BACKEND_TEST,
  fn: async () => {
    Deno.env.delete("KIT_NATIVE_BN"); // the default: on (nativeBatchNormTrainingOn)
    try {
      for (const shape of [[2, 5, 4, 6], [3, 7]]) {
        const c = shape[shape.length - 1]!;
        const inputs = () => [rand(shape, 1), rand([c], 2), rand([c], 3)] as const;
        const f = (native: boolean) => () => {
          const [x, gamma, beta] = inputs();
          const weight = rand(shape, 9);
          const bn = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
            const r = native
              ? nativeBatchNormTraining(x, g as tf.Tensor1D, b as tf.Tensor1D, 1e-3)
              : batchNormTraining(x, g as tf.Tensor1D, b as tf.Tensor1D, 1e-3);
            if (!r) throw new Error("the native path refused a float32 channels-last input");
            return r;
          };
          const { y, mean, variance } = bn(x, gamma, beta);
          const grads = tf.grads((x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
            const r = bn(x, g, b);
            tf.dispose([r.mean, r.variance]);
            return r.y.mul(weight).sum();
          })([x, gamma, beta]);
          return [y, mean, variance, ...grads];
        };
        const native = await run("native", f(true));
        const cpu = await run("cpu", f(false));
        for (const e of relativeErrors(native, cpu)) {
          assertLess(e, 1e-4, `[${shape}]: relative error ${e}`);
        }
      }
      await initBackend("cpu", () => {});
      assertEquals(
        nativeBatchNormTraining(tf.ones([2, 3]), tf.ones([3]), tf.zeros([3]), 1e-3),
        undefined,
      );
    } finally {
      Deno.env.delete("KIT_NATIVE_BN");
    }
  },
});

Deno.test({
  name:
    `a model's BatchNorm layer trains on oneDNN's kernels when native (the default), with the cpu ` +
    `backend's output, gradients and moving statistics${SKIP}`,
  ignore: !status.loaded,
  ...BACKEND_TEST,
  fn: async () => {
    const shape = [2, 5, 4, 6], c = 6;
    const f = () => {
      const layer = withClosedFormTraining(
        tf.layers.batchNormalization({ axis: -1, momentum: 0.9, epsilon: 1e-5 }),
      );
      layer.build(shape);
      layer.setWeights([rand([c], 2), rand([c], 3), tf.fill([c], 0.5), tf.fill([c], 2)]);
      const x = rand(shape, 1), weight = rand(shape, 9);
      const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
      const { value, grads } = tf.variableGrads(
        () => tf.sum(tf.mul(layer.apply(x, { training: true }) as tf.Tensor, weight)),
        vars,
      );
      const dx = tf.grad((x: tf.Tensor) => {
        const y = layer.apply(x, { training: true }) as tf.Tensor;
        return tf.sum(tf.mul(y, weight));
      })(x);
      const [, , movingMean, movingVariance] = layer.getWeights();
      const out = [value, dx, ...vars.map((v) => grads[v.name]!), movingMean!, movingVariance!];
      // Clones: the layer's weights are disposed here (it was never applied symbolically, so
      // layer.dispose() refuses).
      const kept = out.map((t) => t.clone());
      for (const w of layer.weights) w.dispose();
      return kept;
    };
    const before = nativeCallCounts.KitBatchNormTrainingGrad?.native ?? 0;
    const movingBefore = nativeCallCounts.KitBatchNormMovingAverages?.native ?? 0;
    // On by default (nativeBatchNormTrainingOn); KIT_NATIVE_BN=0 would take the closed form.
    Deno.env.delete("KIT_NATIVE_BN");
    const native = await run("native", f);
    assertEquals(nativeCallCounts.KitBatchNormTrainingGrad?.native, before + 2);
    // Both moving averages in one kernel call per training pass (native_bnorm_moving.ts).
    assertEquals(nativeCallCounts.KitBatchNormMovingAverages?.native, movingBefore + 2);
    const cpu = await run("cpu", f);
    for (const e of relativeErrors(native, cpu)) assertLess(e, 1e-4, `relative error ${e}`);
  },
});

Deno.test({
  name: `a native convolution is built once per geometry and leaks no tensors${SKIP}`,
  ignore: !status.loaded,
  ...BACKEND_TEST,
  fn: async () => {
    await initBackend("wasm", () => {});
    const x = rand([1, 8, 8, 4], 1) as tf.Tensor4D, f = rand([3, 3, 4, 4], 2) as tf.Tensor4D;
    tf.conv2d(x, f, 1, "same").dispose();
    const built = nativePrimitiveCount();
    const tensors = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) tf.conv2d(x, f, 1, "same").dispose();
    assertEquals(nativePrimitiveCount(), built);
    assertEquals(tf.memory().numTensors, tensors);
    tf.dispose([x, f]);
  },
});

Deno.test("the start line names the native library, or the package to install", () => {
  const base: BackendChoice = {
    backend: "wasm",
    requested: "auto",
    adapter: "none",
    isFallbackAdapter: false,
    reason: "auto: no WebGPU adapter",
  };
  assertEquals(
    describeChoice({ ...base, native: { loaded: true, library: "oneDNN 2.6.3", threads: 2 } }),
    "backend: wasm + oneDNN 2.6.3, 2 threads (no WebGPU adapter) - auto: no WebGPU adapter",
  );
  const line = describeChoice({
    ...base,
    native: { loaded: false, reason: "libdnnl.so.2 not found", hint: "apt-get install libdnnl2" },
  });
  assert(line.startsWith("backend: wasm (no WebGPU adapter)"), line);
  assert(line.includes("libdnnl.so.2 not found") && line.includes("apt-get install libdnnl2"));
});
