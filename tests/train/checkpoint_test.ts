import { assert, assertEquals, assertRejects } from "@std/assert";
import { join } from "@std/path";
import * as tf from "@tensorflow/tfjs";
import {
  loadModelWeights,
  loadOptimizerState,
  readCheckpointMeta,
  removeStaleTemporaries,
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

Deno.test("writing the same step twice publishes a new directory and never removes the one last.json names first", async () => {
  const run = await Deno.makeTempDir();
  const model = tinyModel();
  const first = await saveCheckpoint(run, { model, config: {}, state: state(3) });
  const second = await saveCheckpoint(run, { model, config: {}, state: state(3), isBest: true });
  assertEquals(first, join(run, "checkpoints", "step-0000003"));
  assertEquals(second, join(run, "checkpoints", "step-0000003-2"));
  assertEquals(await resolveCheckpoint(run, "last"), second);
  assertEquals(await resolveCheckpoint(run, "best"), second);
  const names = [...Deno.readDirSync(join(run, "checkpoints"))].map((e) => e.name);
  assertEquals(names, ["step-0000003-2"]);
  await Deno.remove(run, { recursive: true });
});

Deno.test("a checkpoint missing optimizer.bin or optimizer.json is refused, not resumed on a fresh optimiser", async () => {
  const run = await Deno.makeTempDir();
  const model = tinyModel();
  const opt = tf.train.adam(0.1);
  oneStep(model, opt);
  const dir = await saveCheckpoint(run, { model, optimizer: opt, config: {}, state: state(2) });
  await Deno.remove(join(dir, "optimizer.bin"));
  await assertRejects(() => resolveCheckpoint(run), KitError, "optimizer.bin: missing");
  await assertRejects(() => loadOptimizerState(dir, tf.train.adam()), KitError, "optimizer.bin");
  await Deno.remove(join(dir, "manifest.json")); // as a checkpoint of an older kit
  await Deno.remove(join(dir, "optimizer.json"));
  await assertRejects(() => loadOptimizerState(dir, tf.train.adam()), KitError, "incomplete");
  await Deno.remove(join(dir, "weights.bin"));
  await assertRejects(() => resolveCheckpoint(run), KitError, "weights.bin: missing");
  await Deno.remove(run, { recursive: true });
});

Deno.test("a truncated file is caught by the manifest's sizes", async () => {
  const run = await Deno.makeTempDir();
  const dir = await saveCheckpoint(run, { model: tinyModel(), config: {}, state: state(1) });
  const bytes = await Deno.readFile(join(dir, "weights.bin"));
  await Deno.writeFile(join(dir, "weights.bin"), bytes.subarray(0, 8));
  await assertRejects(() => resolveCheckpoint(run), KitError, "the checkpoint's manifest says");
  await Deno.remove(run, { recursive: true });
});

Deno.test("NaN in weights.bin is reported by weight name, not loaded", async () => {
  const run = await Deno.makeTempDir();
  const dir = await saveCheckpoint(run, { model: tinyModel(), config: {}, state: state(1) });
  const bytes = await Deno.readFile(join(dir, "weights.bin"));
  new Float32Array(bytes.buffer, 0, 1)[0] = NaN;
  await Deno.writeFile(join(dir, "weights.bin"), bytes);
  await assertRejects(() => loadModelWeights(dir, tinyModel()), KitError, "holds NaN at index 0");
  await Deno.remove(run, { recursive: true });
});

Deno.test("temporaries a killed writer left are removed, checkpoints are not", async () => {
  const run = await Deno.makeTempDir();
  const dir = await saveCheckpoint(run, { model: tinyModel(), config: {}, state: state(1) });
  await Deno.mkdir(join(run, "checkpoints", ".step-2-abc.tmp"));
  await Deno.mkdir(join(run, "checkpoints", ".gc-step-0000001-abc.tmp"));
  await Deno.writeTextFile(join(run, ".last.json.abc.tmp"), "{");
  await Deno.writeTextFile(join(run, ".preds.json.abc.tmp"), "["); // another command's, live
  const removed = await removeStaleTemporaries(run);
  assertEquals(removed.length, 3);
  assert(await Deno.stat(join(run, ".preds.json.abc.tmp")).then(() => true));
  const left = [...Deno.readDirSync(join(run, "checkpoints"))].map((e) => e.name);
  assertEquals(left, ["step-0000001"]);
  assert((await Deno.stat(join(dir, "model.json"))).isFile);
  await Deno.remove(run, { recursive: true });
});
