import { assert, assertEquals } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { annotationsOf, meanPoseBaseline } from "../../lib/data/baseline.ts";
import { openDataset, openPipeline } from "../../lib/data/mod.ts";
import { validate } from "../../lib/eval/validate.ts";
import { loadTrained, resolveExperiment } from "../../lib/train/mod.ts";
import { useTestBackend } from "../../lib/testing/backend.ts";

const TRAINED = new URL("../../data/trained/synth-hourglass-tiny", import.meta.url).pathname;
const DEFAULT_CONFIG = new URL("../../configs/synth_hourglass_tiny.json", import.meta.url).pathname;

Deno.test("the committed default checkpoint was trained with the default config", async () => {
  await useTestBackend();
  const trained = await loadTrained(TRAINED);
  const file = JSON.parse(await Deno.readTextFile(DEFAULT_CONFIG));
  const { output: _a, ...now } = resolveExperiment(file);
  const { output: _b, ...then } = trained.config;
  assertEquals(then, now);
  assertEquals(trained.state.step, 2400);
  trained.net.graph.dispose();
});

Deno.test("the committed default checkpoint localises joints: PCKh@0.5 Mean >= 70, baseline ~16", async () => {
  await useTestBackend();
  const trained = await loadTrained(TRAINED);
  const data = { ...trained.config.data, workers: 0 };
  const val = await openPipeline(data, "val", { mode: "eval", batchSize: 20 });
  try {
    const ev = await validate(trained.net, trained.config, val, {
      live: false,
      from: trained.heatmaps,
    });
    assertEquals(ev.ids.length, 200);
    // Training recorded 74.05 on wasm; backends sum in other orders, so allow a little.
    assert((ev.result.mean ?? 0) >= 70, `PCKh@0.5 Mean ${ev.result.mean}`);
    const baseline = meanPoseBaseline(
      await annotationsOf(await openDataset(data, "train"), 5000),
      await annotationsOf(await openDataset(data, "val"), 200),
    );
    assert(baseline.mean < 20, `mean-pose baseline ${baseline.mean}`);
  } finally {
    val.close();
    trained.net.graph.dispose();
  }
});

Deno.test("leaving a using block frees a trained model's weights, and a second dispose does nothing", async () => {
  await useTestBackend();
  const before = tf.memory().numTensors;
  {
    using trained = await loadTrained(TRAINED);
    assert(tf.memory().numTensors > before, "the weights are tensors while the block runs");
    assertEquals(trained.state.step, 2400);
  }
  assertEquals(tf.memory().numTensors, before);
  {
    using trained = await loadTrained(TRAINED);
    trained[Symbol.dispose]();
    assertEquals(tf.memory().numTensors, before);
  }
  assertEquals(tf.memory().numTensors, before);
});
