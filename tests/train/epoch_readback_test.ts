import { assert, assertEquals, assertRejects } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { join } from "@std/path";
import { KitError } from "../../lib/io/errors.ts";
import { readCheckpointMeta, resolveCheckpoint } from "../../lib/train/checkpoint.ts";
import { type ExperimentConfig, resolveExperiment } from "../../lib/train/config.ts";
import { readRunLog } from "../../lib/train/log.ts";
import { train } from "../../lib/train/loop.ts";
import { setDeferredReadback, stepsPerReadback } from "../../lib/train/step.ts";
import { useTestBackend } from "../../lib/testing/mod.ts";

// Several training steps per test: wasm (gradient-checked against cpu in tests/backend).
await useTestBackend("wasm");
// Every test here runs on wasm: the suite's second pass (KIT_TEST_BACKEND) would only repeat them.
const secondPass = Deno.env.get("KIT_TEST_BACKEND") !== undefined;

/** Two epochs of five steps of a 1-stack, 8-feature hourglass on 32 px crops, logged every 4. */
function tinyExperiment(overrides: Record<string, unknown> = {}): ExperimentConfig {
  return resolveExperiment({
    name: "tiny-deferred",
    data: { inputSize: 32, pyramidFactors: [1], workers: 0, synth: { trainSize: 24, valSize: 4 } },
    model: { kind: "hourglass", inputSize: 32, stacks: 1, features: 8, depth: 2 },
    optimizer: { name: "adam", lr: 2e-3 },
    schedule: {
      batchSize: 4,
      stepsPerEpoch: 5,
      lr: { kind: "constant" },
      stages: [{ name: "main", epochs: 2 }],
    },
    eval: { batchSize: 4 },
    output: { logEvery: 4 },
    ...overrides,
  });
}

const quiet = { log: () => {}, live: false, progressEverySeconds: 3600 };

/** Runs `fn` counting the engine's reads of tensor data (each one a host round trip on webgpu). */
async function countingReads<T>(fn: () => Promise<T>): Promise<{ value: T; reads: number }> {
  const engine = tf.engine() as unknown as {
    read: (...a: unknown[]) => unknown;
    readSync: (...a: unknown[]) => unknown;
  };
  const { read, readSync } = engine;
  let reads = 0;
  engine.read = (...a) => (reads++, read.apply(engine, a));
  engine.readSync = (...a) => (reads++, readSync.apply(engine, a));
  try {
    return { value: await fn(), reads };
  } finally {
    engine.read = read;
    engine.readSync = readSync;
  }
}

/** Runs `fn` with the losses read every `output.logEvery` steps on this backend too. */
async function deferred<T>(fn: () => Promise<T>): Promise<T> {
  setDeferredReadback(true);
  try {
    return await fn();
  } finally {
    setDeferredReadback(undefined);
  }
}

Deno.test("cpu and wasm read every step's loss; webgpu (or the override) every logEvery steps", () => {
  assertEquals(stepsPerReadback(10), 1);
  setDeferredReadback(true);
  try {
    assertEquals(stepsPerReadback(10), 10);
    assertEquals(stepsPerReadback(1e6), 100);
  } finally {
    setDeferredReadback(undefined);
  }
});

Deno.test({
  name: "reading the losses every 4 steps gives the same losses and log in fewer round trips",
  ignore: secondPass,
}, async () => {
  const cfg = tinyExperiment();
  const everyDir = await Deno.makeTempDir(), deferredDir = await Deno.makeTempDir();
  const every = await countingReads(() => train(cfg, { runDir: everyDir, ...quiet }));
  const late = await countingReads(() =>
    deferred(() => train(cfg, { runDir: deferredDir, ...quiet }))
  );
  assertEquals(late.value.losses, every.value.losses);
  assertEquals(late.value.losses.length, 10);
  // Reads at steps 4 and 8 (logged), 5 and 10 (epoch ends): 4 instead of 10; validation's the same.
  assertEquals(every.reads - late.reads, 10 - 4);
  const steps = async (dir: string) =>
    (await readRunLog(join(dir, "log.jsonl"))).filter((x) => x.kind === "step")
      .map((x) => [x.step, (x as { loss: number }).loss]);
  assertEquals(await steps(deferredDir), await steps(everyDir));
  assertEquals((await steps(deferredDir)).map(([s]) => s), [4, 8]);
  for (const dir of [everyDir, deferredDir]) await Deno.remove(dir, { recursive: true });
});

Deno.test({
  name: "with deferred reads a run stopped at step 3 and resumed takes the unbroken run's steps",
  ignore: secondPass,
}, async () => {
  const cfg = tinyExperiment();
  await deferred(async () => {
    const whole = await Deno.makeTempDir(), broken = await Deno.makeTempDir();
    const unbroken = await train(cfg, { runDir: whole, ...quiet });
    const first = await train(cfg, { runDir: broken, stopAtStep: 3, ...quiet });
    assertEquals(first.losses, unbroken.losses.slice(0, 3));
    assertEquals((await readCheckpointMeta(await resolveCheckpoint(broken, "last"))).state.step, 3);
    const rest = await train(cfg, { runDir: broken, resume: true, ...quiet });
    assertEquals(rest.losses, unbroken.losses.slice(3));
    for (const dir of [whole, broken]) await Deno.remove(dir, { recursive: true });
  });
});

Deno.test({
  name: "with deferred reads a non-finite loss names its step and leaves the last checkpoint",
  ignore: secondPass,
}, async () => {
  const runDir = await Deno.makeTempDir();
  await train(tinyExperiment(), { runDir, stopAtStep: 2, ...quiet });
  const exploding = tinyExperiment({ optimizer: { name: "adam", lr: 1e30 } });
  const err: KitError = await deferred(() =>
    assertRejects(() => train(exploding, { runDir, resume: true, ...quiet }), KitError)
  );
  const m = /the loss became (NaN|-?Infinity) at step (\d+)/.exec(err.message);
  assert(m, err.message);
  const badStep = Number(m![2]);
  // Read back at step 4 (logged): steps after the bad one up to 4 ran, unsaved, and are counted.
  if (badStep < 4) {
    assert(err.message.includes(`The ${4 - badStep} step(s) after it ran`), err.message);
  }
  assert(err.message.includes("--resume"), err.message);
  assertEquals((await readCheckpointMeta(await resolveCheckpoint(runDir, "last"))).state.step, 2);
  await Deno.remove(runDir, { recursive: true });
});
