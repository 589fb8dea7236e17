import { assert, assertLess } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { withoutInputGradient } from "../../lib/models/layers.ts";
import { useTestBackend } from "../../lib/testing/mod.ts";

await useTestBackend();

async function relativeError(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const [diff, scale] = await Promise.all([
    tf.max(tf.abs(tf.sub(a, b))).data(),
    tf.max(tf.abs(b)).data(),
  ]);
  return diff[0]! / Math.max(scale[0]!, 1e-30);
}

const x = tf.randomNormal([2, 9, 9, 3], 0, 1, "float32", 1);
const dy = tf.randomNormal([2, 4, 4, 5], 0, 1, "float32", 2);

/** Two copies of one 3x3 stride-2 convolution: tfjs's, and one without the input gradient. */
function twins(): [tf.layers.Layer, tf.layers.Layer] {
  const make = () => tf.layers.conv2d({ filters: 5, kernelSize: 3, strides: 2, padding: "valid" });
  const stock = make(), lean = withoutInputGradient(make());
  stock.build(x.shape);
  lean.build(x.shape);
  lean.setWeights(stock.getWeights());
  return [stock, lean];
}

const lossOf = (layer: tf.layers.Layer, input: tf.Tensor) =>
  tf.sum(tf.mul(layer.apply(input, { training: true }) as tf.Tensor, dy)) as tf.Scalar;

Deno.test("a convolution without the input gradient trains to the same outputs and weight gradients", async () => {
  const [stock, lean] = twins();
  const ys = [stock, lean].map((l) => l.apply(x, { training: true }) as tf.Tensor);
  assertLess(await relativeError(ys[1]!, ys[0]!), 1e-5);
  const varsOf = (l: tf.layers.Layer) => l.trainableWeights.map((w) => w.read() as tf.Variable);
  const [gStock, gLean] = [stock, lean].map((l) => {
    const { value, grads } = tf.variableGrads(() => lossOf(l, x), varsOf(l));
    value.dispose();
    return varsOf(l).map((v) => grads[v.name]!);
  });
  for (let i = 0; i < gStock!.length; i++) {
    assertLess(await relativeError(gLean![i]!, gStock![i]!), 1e-5, `weight ${i}`);
  }
});

Deno.test("its input gradient is still computed when something asks for it", async () => {
  const [stock, lean] = twins();
  const [dxStock, dxLean] = [stock, lean].map((l) =>
    tf.grad((input: tf.Tensor) => lossOf(l, input))(x)
  );
  assertLess(await relativeError(dxLean!, dxStock!), 1e-5);
});

Deno.test("a training step over it runs no input-gradient kernel, tfjs's fused layer does", async () => {
  const kernelsOf = async (layer: tf.layers.Layer) => {
    const info = await tf.profile(() => {
      const { value, grads } = tf.variableGrads(() => lossOf(layer, x));
      tf.dispose([value, ...Object.values(grads)]);
    });
    return info.kernels.map((k) => k.name);
  };
  const [stock, lean] = twins();
  assert((await kernelsOf(stock)).includes("Conv2DBackpropInput"));
  assert(!(await kernelsOf(lean)).includes("Conv2DBackpropInput"));
});
