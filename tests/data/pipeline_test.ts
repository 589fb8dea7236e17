import { assert, assertEquals, assertNotEquals, assertRejects } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { assembleBatch, disposeBatch } from "../../lib/data/assemble.ts";
import { dataConfig } from "../../lib/data/config.ts";
import { createPipeline, openPipeline, Pipeline } from "../../lib/data/pipeline.ts";
import { InlineSource, type SampleSource } from "../../lib/data/sources.ts";
import { prepareSample } from "../../lib/data/prepare.ts";
import { SampleLoadError } from "../../lib/data/types.ts";
import { KitError } from "../../lib/io/errors.ts";
import { NUM_JOINTS } from "../../lib/skeleton/mpii.ts";
import { assertNoLeaks, useTestBackend } from "../../lib/testing/mod.ts";
import { ArrayDataset, gridKeypoints, noiseImage, sampleOf } from "./fixtures.ts";

await useTestBackend();

const small = dataConfig({ inputSize: 32, synth: { trainSize: 8, valSize: 5 }, workers: 0 });

function arrayData(n: number, fail: number[] = []): ArrayDataset {
  const samples = Array.from(
    { length: n },
    (_, i) => sampleOf(`s${i}`, noiseImage(40, 40, i + 1), gridKeypoints(40, 6), 30),
  );
  return new ArrayDataset("array", samples, new Set(fail));
}

async function waitForTensors(count: number): Promise<number> {
  for (let t = 0; t < 100 && tf.memory().numTensors !== count; t++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  return tf.memory().numTensors;
}

Deno.test("a training epoch yields full batches of the stated shapes, values in [0, 1]", async () => {
  const pipe = await openPipeline(small, "train", { mode: "train", batchSize: 3 });
  assertEquals(pipe.batchesPerEpoch, 2); // 8 samples, the last incomplete batch dropped
  const before = tf.memory().numTensors;
  let batches = 0;
  for await (const b of pipe.epoch(0)) {
    batches++;
    assertEquals(b.images.shape, [3, 32, 32, 3]);
    assertEquals(b.targets.map((t) => t.shape), [[3, 8, 8, 16], [3, 4, 4, 16], [3, 2, 2, 16], [
      3,
      1,
      1,
      16,
    ]]);
    assertEquals(b.weights.shape, [3, NUM_JOINTS]);
    assertEquals([b.size, b.meta.length], [3, 3]);
    const range = tf.tidy(() => tf.stack([tf.min(b.images), tf.max(b.images)]));
    const [lo, hi] = await range.data();
    range.dispose();
    assert(lo! >= 0 && hi! <= 1 && hi! > 0);
    disposeBatch(b);
  }
  pipe.close();
  assertEquals(batches, 2);
  assertEquals(tf.memory().numTensors, before, "an epoch leaked tensors");
});

Deno.test("breaking out of an epoch leaks no prefetched batch", async () => {
  const pipe = createPipeline(arrayData(12), small, { mode: "train", batchSize: 2, prefetch: 3 });
  const before = tf.memory().numTensors;
  for await (const b of pipe.epoch(0)) {
    disposeBatch(b);
    break;
  }
  pipe.close();
  assertEquals(await waitForTensors(before), before);
});

Deno.test("assembling a batch leaks nothing but the batch", async () => {
  const ds = arrayData(2);
  const cfg = dataConfig({
    inputSize: 32,
    masking: { enabled: true, background: 1, duplicate: 1 },
  });
  const prepared = await Promise.all(
    [0, 1].map(async (i) =>
      prepareSample(await ds.get(i), cfg, { index: i, seed: i, train: true })
    ),
  );
  const n = await assertNoLeaks(() => {
    const b = assembleBatch(prepared, cfg);
    return [b.images, ...b.targets, b.weights];
  }, "assembleBatch");
  assertEquals(n, 6);
});

Deno.test("evaluation keeps order and pads its last batch with zero-weight copies", async () => {
  const pipe = createPipeline(arrayData(5), small, { mode: "eval", batchSize: 4 });
  const batches = [];
  for await (const b of pipe.epoch(0)) batches.push(b);
  assertEquals(batches.map((b) => b.size), [4, 1]);
  assertEquals(batches.flatMap((b) => b.meta.map((m) => m.index)), [0, 1, 2, 3, 4, 4, 4, 4]);
  const last = batches[1]!;
  assertEquals(last.meta.map((m) => m.padded), [false, true, true, true]);
  const w = await last.weights.data();
  assert(w.slice(0, NUM_JOINTS).every((v) => v === 1));
  assert(w.slice(NUM_JOINTS).every((v) => v === 0));
  batches.forEach(disposeBatch);
});

Deno.test("training order is shuffled per epoch, the same for the same seed", () => {
  const ds = arrayData(10);
  const a = createPipeline(ds, small, { mode: "train", batchSize: 2, seed: 4 });
  const b = createPipeline(ds, small, { mode: "train", batchSize: 2, seed: 4 });
  assertEquals(a.order(0), b.order(0));
  assertNotEquals(a.order(0), a.order(1));
  assertEquals([...a.order(0)].sort((x, y) => x - y), [...Array(10).keys()]);
  assertEquals(createPipeline(ds, small, { mode: "eval", batchSize: 2 }).order(3), [
    ...Array(10).keys(),
  ]);
});

Deno.test("an unreadable sample is skipped, recorded and replaced; with onError fail it stops", async () => {
  const skipped: number[] = [];
  const pipe = createPipeline(arrayData(8, [2, 5]), small, {
    mode: "eval",
    batchSize: 4,
    onSkip: (f) => skipped.push(f.index),
  });
  const ids: string[] = [];
  for await (const b of pipe.epoch(0)) {
    assertEquals(b.size, 4);
    ids.push(...b.meta.map((m) => m.id));
    disposeBatch(b);
  }
  assert(pipe.skipped >= 2 && skipped.includes(2) && skipped.includes(5));
  assertEquals(pipe.failures[0]!.path, "fixture/2.png");
  assert(!ids.includes("s2") && !ids.includes("s5"));
  const strict = createPipeline(arrayData(8, [2]), dataConfig({ inputSize: 32, onError: "fail" }), {
    mode: "eval",
    batchSize: 4,
  });
  await assertRejects(
    async () => {
      for await (const b of strict.epoch(0)) disposeBatch(b);
    },
    SampleLoadError,
    "fixture/2.png: image not found",
  );
});

Deno.test("a dataset whose images all fail to load stops with a clear error", async () => {
  const pipe = createPipeline(arrayData(30, [...Array(30).keys()]), small, {
    mode: "eval",
    batchSize: 4,
  });
  await assertRejects(
    async () => {
      for await (const b of pipe.epoch(0)) disposeBatch(b);
    },
    KitError,
    "could not be loaded",
  );
});

Deno.test("workers produce exactly the batches the main thread does", async () => {
  const inline = await openPipeline(small, "train", {
    mode: "train",
    batchSize: 4,
    seed: 8,
    workers: 0,
  });
  const workers = await openPipeline(small, "train", {
    mode: "train",
    batchSize: 4,
    seed: 8,
    workers: 2,
  });
  try {
    const a = await inline.batchOf([3, 1, 6, 0], 2);
    const b = await workers.batchOf([3, 1, 6, 0], 2);
    assertEquals(await a.images.data(), await b.images.data());
    assertEquals(await a.targets[1]!.data(), await b.targets[1]!.data());
    assertEquals(a.meta.map((m) => m.keypoints), b.meta.map((m) => m.keypoints));
    disposeBatch(a);
    disposeBatch(b);
  } finally {
    inline.close();
    workers.close();
  }
});

Deno.test("a pipeline refuses a batch larger than a training epoch", () => {
  try {
    createPipeline(arrayData(3), small, { mode: "train", batchSize: 4 });
    throw new Error("expected a KitError");
  } catch (e) {
    assert(e instanceof KitError && e.message.includes("make no full training batch of 4"));
  }
});

Deno.test("an epoch started at batch k yields exactly the full epoch's batches from k on", async () => {
  const pipe = createPipeline(arrayData(12), small, { mode: "train", batchSize: 2, seed: 5 });
  const read = async (b: { images: tf.Tensor; meta: { id: string }[] }) => ({
    ids: b.meta.map((m) => m.id),
    pixels: Array.from(await b.images.data()),
  });
  const full = [];
  for await (const b of pipe.epoch(1)) {
    full.push(await read(b));
    disposeBatch(b);
  }
  const resumed = [];
  for await (const b of pipe.epoch(1, 4)) {
    resumed.push(await read(b));
    disposeBatch(b);
  }
  pipe.close();
  assertEquals(full.length, 6);
  assertEquals(resumed, full.slice(4));
});

Deno.test("leaving a using block closes the pipeline and its sample source, and leaves no batch", async () => {
  const dataset = arrayData(8);
  // The source stands in for the workers: closing it is what terminates them (WorkerSource).
  const inline = new InlineSource(dataset, small);
  let closed = 0;
  const source: SampleSource = { prepare: (job) => inline.prepare(job), close: () => closed++ };
  const before = tf.memory().numTensors;
  let seen: Pipeline | undefined;
  {
    using pipe = new Pipeline(dataset, small, { mode: "train", batchSize: 2, prefetch: 3 }, source);
    seen = pipe;
    for await (const b of pipe.epoch(0)) {
      disposeBatch(b);
      break;
    }
    assertEquals(closed, 0);
  }
  assertEquals(closed, 1);
  assertEquals(await waitForTensors(before), before);
  await assertRejects(() => seen!.epoch(0).next(), Error, "the pipeline was closed");
});
