import { assertEquals, assertLess } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { loadNative, nativeBatchNormTraining } from "../../lib/backend/mod.ts";
import { BACKEND_TEST, rand, relativeErrors, run } from "./native_paths.ts";
import { nativeCallCounts } from "../../lib/backend/native_conv.ts";
import { batchNormTraining } from "../../lib/models/batchnorm.ts";
import { Builder } from "../../lib/models/layers.ts";
import { BnRelu, ConvBnRelu, PreActConv } from "../../lib/models/units.ts";

const status = loadNative();
const SKIP = status.loaded ? "" : ` (skipped: ${status.reason}; ${status.hint})`;

const count = (name: string) => nativeCallCounts[name]?.native ?? 0;

Deno.test({
  name: `native BatchNorm + ReLU in one kernel each way gives the cpu backend's output, ` +
    `statistics and gradients (BatchNorm then ReLU), without leaks${SKIP}`,
  ignore: !status.loaded,
  ...BACKEND_TEST,
  fn: async () => {
    // Value counts that are not multiples of 8 (the workspace holds 1 bit per value).
    for (const shape of [[2, 5, 4, 6], [3, 7], [1, 3, 3, 5], [2, 9, 9, 16]]) {
      const c = shape[shape.length - 1]!;
      const f = (native: boolean) => () => {
        const [x, gamma, beta] = [rand(shape, 1), rand([c], 2), rand([c], 3)];
        const weight = rand(shape, 9);
        const bnRelu = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
          if (!native) {
            const r = batchNormTraining(x, g as tf.Tensor1D, b as tf.Tensor1D, 1e-3);
            const y = tf.relu(r.y);
            r.y.dispose(); // the ReLU's gradient reads its output (lib/models/batchnorm.ts)
            return { ...r, y };
          }
          const r = nativeBatchNormTraining(x, g as tf.Tensor1D, b as tf.Tensor1D, 1e-3, true);
          if (!r) throw new Error("the native path refused BatchNorm + ReLU");
          return r;
        };
        const tensors = tf.memory().numTensors;
        const { y, mean, variance } = bnRelu(x!, gamma!, beta!);
        const grads = tf.grads((x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
          tf.tidy(() => {
            const r = bnRelu(x, g, b);
            tf.dispose([r.mean, r.variance]);
            return r.y.mul(weight).sum();
          })
        )([x!, gamma!, beta!]);
        // Only the outputs stay: the workspace went with the tape.
        assertEquals(tf.memory().numTensors, tensors + 3 + grads.length, `[${shape}] leaked`);
        tf.dispose([x!, gamma!, beta!, weight]);
        return [y, mean, variance, ...grads];
      };
      const [forward, gradient] = [
        count("KitBatchNormReluTraining"),
        count(
          "KitBatchNormReluTrainingGrad",
        ),
      ];
      const native = await run("native", f(true));
      assertEquals(count("KitBatchNormReluTraining"), forward + 2, "the fused forward ran");
      assertEquals(count("KitBatchNormReluTrainingGrad"), gradient + 1, "the fused gradient ran");
      const cpu = await run("cpu", f(false));
      for (const [i, e] of relativeErrors(native, cpu).entries()) {
        assertLess(e, 1e-4, `[${shape}] output ${i}: relative error ${e}`);
      }
    }
  },
});

Deno.test({
  name: `the units run BatchNorm + ReLU fused in a training pass on the native path, with the ` +
    `cpu backend's output, gradients and moving statistics${SKIP}`,
  ignore: !status.loaded,
  ...BACKEND_TEST,
  fn: async () => {
    const shape = [2, 6, 6, 4];
    const f = () => {
      const b = new Builder(7);
      // Side by side on x, not chained: a BatchNorm after another unit's output would make
      // that unit's γ gradients ~0 (the normalisation undoes their scale), so not comparable.
      const units = [
        new ConvBnRelu(b, "a", { filters: 8, kernel: 3, inChannels: 4 }),
        new PreActConv(b, { bn: "p.bn", relu: "p.relu", conv: "p.conv" }, {
          filters: 8,
          kernel: 1,
          inChannels: 4,
        }),
        new BnRelu(b, { bn: "q.bn", relu: "q.relu" }),
      ];
      const x = rand(shape, 1);
      const weights = [rand([2, 6, 6, 8], 9), rand([2, 6, 6, 8], 10), rand(shape, 11)];
      const ctx = { training: true };
      const forward = (x: tf.Tensor) =>
        tf.addN(units.map((u, i) => tf.sum(tf.mul(u.apply(x, ctx), weights[i]!)))) as tf.Scalar;
      tf.dispose(forward(x)); // builds the weights (and updates the moving statistics once)
      const layers = b.layers.map((t) => t.layer);
      const vars = layers.flatMap((l) => l.trainableWeights.map((w) => w.read() as tf.Variable));
      const tensors = tf.memory().numTensors;
      const { value, grads } = tf.variableGrads(() => forward(x), vars);
      const dx = tf.grad(forward)(x);
      assertEquals(tf.memory().numTensors, tensors + 2 + vars.length, "a training pass leaked");
      const moving = layers.filter((l) => l.getClassName() === "BatchNormalization")
        .flatMap((l) => l.getWeights().slice(2));
      // Not the bias of the convolution in front of a BatchNorm: its gradient is 0 up to
      // rounding (the normalisation removes any per-channel shift), so not comparable.
      const compared = vars.filter((v) => !/^a\.conv.*bias/.test(v.name));
      const out = [value, dx, ...compared.map((v) => grads[v.name]!), ...moving].map((t) =>
        t.clone()
      );
      tf.dispose([value, dx, grads, x, weights]);
      for (const l of layers) for (const w of l.weights) w.dispose();
      return out;
    };
    const before = count("KitBatchNormReluTrainingGrad");
    const native = await run("native", f);
    // Three BatchNorm + ReLU pairs, differentiated twice (variableGrads, grad).
    assertEquals(count("KitBatchNormReluTrainingGrad"), before + 6);
    const cpu = await run("cpu", f);
    for (const [i, e] of relativeErrors(native, cpu).entries()) {
      assertLess(e, 1e-4, `output ${i}: relative error ${e}`);
    }
  },
});
