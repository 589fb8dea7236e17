import { assertEquals, assertLess } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { Builder, call } from "../../lib/models/layers.ts";
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
