import { assertEquals, assertRejects } from "@std/assert";
import { join } from "@std/path";
import * as tf from "@tensorflow/tfjs";
import {
  loadModelWeights,
  loadOptimizerState,
  readCheckpointMeta,
  resolveCheckpoint,
  saveCheckpoint,
  type TrainState,
} from "../../lib/train/checkpoint.ts";
import { KitError } from "../../lib/io/errors.ts";
import { useTestBackend } from "../../lib/testing/mod.ts";

await useTestBackend();

function tinyModel(units = 3): tf.LayersModel {
  const input = tf.input({ shape: [4] });
  const h = tf.layers.dense({ units, name: "hidden" }).apply(input) as tf.SymbolicTensor;
  const bn = tf.layers.batchNormalization({ name: "bn" }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: bn });
}

const state = (step: number): TrainState => ({
  step,
  epoch: 1,
  batchInEpoch: 2,
  scores: [40.5],
  bestScore: 40.5,
  bestStep: step,
});

function oneStep(model: tf.LayersModel, opt: tf.Optimizer) {
  const x = tf.ones([2, 4]);
  opt.minimize(() =>
    (model.apply(x, { training: true }) as tf.Tensor).square().mean() as tf.Scalar
  );
  x.dispose();
}

Deno.test("a checkpoint round-trips weights, optimiser slots, state and config", async () => {
  const run = await Deno.makeTempDir();
  const model = tinyModel();
  const opt = tf.train.rmsprop(1e-2);
  oneStep(model, opt);
  await saveCheckpoint(run, {
    model,
    optimizer: opt,
    config: { a: 1 },
    state: state(5),
    isBest: true,
  });

  const dir = await resolveCheckpoint(run);
  assertEquals(dir, join(run, "checkpoints", "step-0000005"));
  const meta = await readCheckpointMeta(dir);
  assertEquals(meta.state, state(5));
  assertEquals(meta.config, { a: 1 });

  const other = tinyModel();
  await loadModelWeights(dir, other);
  const a = await Promise.all(model.getWeights().map((w) => w.data()));
  const b = await Promise.all(other.getWeights().map((w) => w.data()));
  assertEquals(b, a);

  const opt2 = tf.train.rmsprop(1e-2);
  assertEquals(await loadOptimizerState(dir, opt2), true);
  const s1 = await opt.getWeights(), s2 = await opt2.getWeights();
  assertEquals(s2.map((w) => w.name), s1.map((w) => w.name));
  assertEquals(
    await Promise.all(s2.map((w) => w.tensor.data())),
    await Promise.all(s1.map((w) => w.tensor.data())),
  );
  // The same next step from both gives the same weights.
  oneStep(model, opt);
  oneStep(other, opt2);
  assertEquals(
    await Promise.all(other.getWeights().map((w) => w.data())),
    await Promise.all(model.getWeights().map((w) => w.data())),
  );
  await Deno.remove(run, { recursive: true });
});

Deno.test("model.json is the tfjs layers format and loads with tf.loadLayersModel", async () => {
  const run = await Deno.makeTempDir();
  const model = tinyModel();
  await saveCheckpoint(run, { model, config: {}, state: state(1) });
  const dir = await resolveCheckpoint(run);
  const json = JSON.parse(await Deno.readTextFile(join(dir, "model.json")));
  assertEquals(json.format, "layers-model");
  assertEquals(json.weightsManifest[0].paths, ["weights.bin"]);
  const weights = await Deno.readFile(join(dir, "weights.bin"));
  const loaded = await tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest[0].weights,
    weightData: weights.buffer,
  }));
  const x = tf.ones([1, 4]);
  const y1 = model.predict(x) as tf.Tensor, y2 = loaded.predict(x) as tf.Tensor;
  assertEquals(await y2.data(), await y1.data());
  tf.dispose([x, y1, y2]);
  await Deno.remove(run, { recursive: true });
});

Deno.test("last and best pointers keep their checkpoints and older ones are pruned", async () => {
  const run = await Deno.makeTempDir();
  const model = tinyModel();
  await saveCheckpoint(run, { model, config: {}, state: state(1), isBest: true });
  await saveCheckpoint(run, { model, config: {}, state: state(2) });
  await saveCheckpoint(run, { model, config: {}, state: state(3) });
  const names = [...Deno.readDirSync(join(run, "checkpoints"))].map((e) => e.name).sort();
  assertEquals(names, ["step-0000001", "step-0000003"]);
  assertEquals(await resolveCheckpoint(run, "best"), join(run, "checkpoints", "step-0000001"));
  assertEquals(await resolveCheckpoint(run, "last"), join(run, "checkpoints", "step-0000003"));
  await Deno.remove(run, { recursive: true });
});

Deno.test("a different architecture or a missing checkpoint is reported by path", async () => {
  const run = await Deno.makeTempDir();
  await saveCheckpoint(run, { model: tinyModel(3), config: {}, state: state(1) });
  const dir = await resolveCheckpoint(run);
  await assertRejects(() => loadModelWeights(dir, tinyModel(5)), KitError, "has shape [4,3]");
  await assertRejects(() => resolveCheckpoint(join(run, "nope")), KitError, "no checkpoint here");
  assertEquals(await loadOptimizerState(dir, tf.train.adam()), false); // none saved
  const opt = tf.train.rmsprop(0.1);
  const model = tinyModel(3);
  oneStep(model, opt);
  await saveCheckpoint(run, { model, optimizer: opt, config: {}, state: state(2) });
  await assertRejects(
    async () => loadOptimizerState(await resolveCheckpoint(run), tf.train.adam()),
    KitError,
    "saved from RMSProp, cannot restore into Adam",
  );
  await Deno.remove(run, { recursive: true });
});
