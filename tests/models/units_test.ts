import { assertEquals, assertLess } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { Builder, call } from "../../lib/models/layers.ts";
import { Residual } from "../../lib/models/blocks.ts";
import { PreActConv } from "../../lib/models/units.ts";
import { useTestBackend } from "../../lib/testing/mod.ts";
import { leanVariableGrads } from "../../lib/train/lean_grads.ts";

await useTestBackend();

const SHAPE: [number, number, number, number] = [2, 16, 16, 8];
/** Bytes of one activation of SHAPE (float32). */
const ACTIVATION = SHAPE.reduce((a, b) => a * b) * 4;
const CTX = { training: true };

/** A pre-activation unit 8 -> 8 channels and its three layers (BN, ReLU, conv) in run order. */
function unit(): { u: PreActConv; layers: tf.layers.Layer[] } {
  const b = new Builder(7);
  const u = new PreActConv(b, { bn: "u.bn", relu: "u.relu", conv: "u.conv" }, {
    filters: 8,
    kernel: 3,
    inChannels: 8,
  });
  return { u, layers: b.layers.map((t) => t.layer) };
}

interface EngineHooks {
  state: { tensorInfo: WeakMap<object, unknown> };
  trackTensor(a: tf.Tensor, backend: unknown): void;
  removeDataId(dataId: object, backend: unknown): void;
}

/**
 * Bytes of the data buffers `f` allocated that are still alive when it returns (tf.memory()
 * counts a buffer once per handle, and the tape's saved tensors are extra handles).
 */
function liveBytesMadeBy(f: () => void): number {
  const engine = tf.engine() as unknown as EngineHooks;
  const made = new Map<object, number>();
  const track = engine.trackTensor, remove = engine.removeDataId;
  engine.trackTensor = (a, backend) => {
    if (!engine.state.tensorInfo.has(a.dataId)) made.set(a.dataId, a.size * 4);
    track.call(engine, a, backend);
  };
  engine.removeDataId = (dataId, backend) => {
    remove.call(engine, dataId, backend);
    if (!engine.state.tensorInfo.has(dataId)) made.delete(dataId);
  };
  try {
    f();
  } finally {
    engine.trackTensor = track, engine.removeDataId = remove;
  }
  return [...made.values()].reduce((a, b) => a + b, 0);
}

const x = tf.randomNormal(SHAPE, 0, 1, "float32", 3) as tf.Tensor4D;
const dy = tf.randomNormal(SHAPE, 0, 1, "float32", 4);

Deno.test("a training unit leaves alive only its output and what the gradient tape saved, not its BatchNorm output", () => {
  const { u, layers } = unit();
  // Builds the weights, so that the measured passes allocate activations only.
  tf.dispose(u.apply(x, CTX));
  const vars = layers.flatMap((l) => l.trainableWeights.map((w) => w.read() as tf.Variable));
  let grown = 0;
  const { value, grads } = leanVariableGrads(() => {
    let y: tf.Tensor | undefined;
    grown = liveBytesMadeBy(() => y = u.apply(x, CTX));
    return tf.sum(tf.mul(y!, dy)) as tf.Scalar;
  }, vars);
  tf.dispose([value, grads]);
  // Kept: the ReLU's output (saved by the ReLU's gradient and the convolution, one buffer) and
  // the convolution's output, plus per-channel statistics. The BatchNorm output, one more
  // activation, is freed inside the unit.
  assertLess(grown, 2.5 * ACTIVATION, `${grown} bytes for activations of ${ACTIVATION}`);
  assertLess(1.9 * ACTIVATION, grown, `${grown} bytes: the tape's saved tensors are missing`);
});

Deno.test("a unit scoped in its own tidy gives its layers' unscoped gradients bit for bit", async () => {
  const { u, layers } = unit();
  tf.dispose(u.apply(x, CTX));
  const vars = layers.flatMap((l) => l.trainableWeights.map((w) => w.read() as tf.Variable));
  const loss = (run: () => tf.Tensor) => () => tf.sum(tf.mul(run(), dy)) as tf.Scalar;
  const scoped = leanVariableGrads(loss(() => u.apply(x, CTX)), vars);
  const unscoped = leanVariableGrads(
    loss(() => layers.reduce((h: tf.Tensor, l) => call(l, h, CTX), x)),
    vars,
  );
  assertEquals(await scoped.value.data(), await unscoped.value.data());
  for (const v of vars) {
    assertEquals(await scoped.grads[v.name]!.data(), await unscoped.grads[v.name]!.data(), v.name);
  }
  tf.dispose([scoped.value, unscoped.value, scoped.grads, unscoped.grads]);
});

/** A bottleneck 8 -> 16 channels (with its 1x1 skip convolution) and its layers in build order. */
function block(): { r: Residual; layers: tf.layers.Layer[] } {
  const b = new Builder(8);
  const r = new Residual(b, "r", 8, 16);
  return { r, layers: b.layers.map((t) => t.layer) };
}

/** The bottleneck's layers run one by one with plain `call`: BN-ReLU-conv x 3, skip, add. */
function unscopedBlock(layers: tf.layers.Layer[], input: tf.Tensor): tf.Tensor {
  const [skip, add] = layers.slice(9) as [tf.layers.Layer, tf.layers.Layer];
  const h = layers.slice(0, 9).reduce((t: tf.Tensor, l) => call(l, t, CTX), input);
  return call(add, [h, call(skip, input, CTX)], CTX);
}

Deno.test("a residual block gives its layers' unscoped gradients bit for bit without keeping its sum's inputs", async () => {
  const { r, layers } = block();
  tf.dispose(r.apply(x, CTX));
  const vars = layers.flatMap((l) => l.trainableWeights.map((w) => w.read() as tf.Variable));
  const dy16 = tf.randomNormal([2, 16, 16, 16], 0, 1, "float32", 5);
  const loss = (run: () => tf.Tensor) => () => tf.sum(tf.mul(run(), dy16)) as tf.Scalar;
  let grown = 0;
  const lean = leanVariableGrads(
    loss(() => {
      let y: tf.Tensor | undefined;
      grown = liveBytesMadeBy(() => y = r.apply(x, CTX));
      return y!;
    }),
    vars,
  );
  const plain = leanVariableGrads(loss(() => unscopedBlock(layers, x)), vars);
  assertEquals(await lean.value.data(), await plain.value.data());
  for (const v of vars) {
    assertEquals(await lean.grads[v.name]!.data(), await plain.grads[v.name]!.data(), v.name);
  }
  // Alive after the block: the three ReLU outputs and the first two convolutions' outputs (8
  // channels each; the next BatchNorm saves each) plus the block's output (16): 56 channels, 7
  // activations of 8. The last convolution's and the skip's outputs (16 channels each, 4 more
  // activations), saved by tfjs only for the sum's shapes and a linear activation, are freed.
  assertLess(grown, 8 * ACTIVATION, `${grown} bytes for activations of ${ACTIVATION}`);
  tf.dispose([lean.value, plain.value, lean.grads, plain.grads, dy16]);
});
