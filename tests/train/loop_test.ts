import { assert, assertEquals, assertRejects, assertThrows } from "@std/assert";
import { join } from "@std/path";
import { dataConfig } from "../../lib/data/config.ts";
import { exportSynth } from "../../lib/data/export.ts";
import { KitError } from "../../lib/io/errors.ts";
import { readCheckpointMeta, resolveCheckpoint } from "../../lib/train/checkpoint.ts";
import { type ExperimentConfig, resolveExperiment } from "../../lib/train/config.ts";
import { loadTrained } from "../../lib/train/load.ts";
import { readRunLog } from "../../lib/train/log.ts";
import { train } from "../../lib/train/loop.ts";
import { buildModel } from "../../lib/models/build.ts";
import { useTestBackend } from "../../lib/testing/mod.ts";

// Several training steps per test: wasm (gradient-checked against cpu in tests/backend).
await useTestBackend("wasm");

/** A run small enough for a unit test: 1 stack of 8 features on 32 px crops. */
function tinyExperiment(overrides: Record<string, unknown> = {}): ExperimentConfig {
  return resolveExperiment({
    name: "tiny",
    data: {
      inputSize: 32,
      pyramidFactors: [1],
      workers: 0,
      synth: { trainSize: 24, valSize: 4 },
    },
    model: { kind: "hourglass", inputSize: 32, stacks: 1, features: 8, depth: 2 },
    optimizer: { name: "adam", lr: 2e-3 },
    schedule: {
      batchSize: 4,
      stepsPerEpoch: 3,
      lr: { kind: "constant" },
      stages: [{ name: "main", epochs: 2 }],
    },
    eval: { batchSize: 4 },
    output: { logEvery: 1 },
    ...overrides,
  });
}

const quiet = { log: () => {}, live: false, progressEverySeconds: 3600 };

Deno.test("a short run lowers the loss, validates, and leaves last and best checkpoints", async () => {
  const runDir = await Deno.makeTempDir();
  const cfg = tinyExperiment({
    schedule: {
      batchSize: 4,
      stepsPerEpoch: 6,
      lr: { kind: "constant" },
      stages: [{ name: "main", epochs: 2 }],
    },
  });
  const r = await train(cfg, { runDir, ...quiet });
  assertEquals(r.losses.length, 12);
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  assert(mean(r.losses.slice(-3)) < mean(r.losses.slice(0, 3)), `losses ${r.losses}`);
  assertEquals(r.state.epoch, 2);
  assertEquals(r.state.scores.length, 2);
  assertEquals(r.lastEvaluation?.ids.length, 4);
  const log = await readRunLog(join(runDir, "log.jsonl"));
  assertEquals(log.filter((x) => x.kind === "step").length, 12);
  assertEquals(log.filter((x) => x.kind === "val").length, 2);
  const last = await resolveCheckpoint(runDir, "last");
  assertEquals((await readCheckpointMeta(last)).state.step, 12);
  assertEquals((await readCheckpointMeta(last)).config.name, "tiny");
  await resolveCheckpoint(runDir, "best");
  await Deno.remove(runDir, { recursive: true });
});

Deno.test("a run stopped mid-epoch and resumed takes exactly the steps of an unbroken run", async () => {
  const cfg = tinyExperiment();
  const whole = await Deno.makeTempDir();
  const unbroken = await train(cfg, { runDir: whole, ...quiet });
  assertEquals(unbroken.losses.length, 6);

  for (const stopAt of [4, 3]) { // mid-epoch, and exactly at an epoch boundary
    const broken = await Deno.makeTempDir();
    const first = await train(cfg, { runDir: broken, stopAtStep: stopAt, ...quiet });
    assertEquals(first.interrupted, true);
    assertEquals(first.losses, unbroken.losses.slice(0, stopAt));
    const rest = await train(cfg, { runDir: broken, resume: true, ...quiet });
    assertEquals(rest.losses, unbroken.losses.slice(stopAt), `resumed at step ${stopAt}`);
    assertEquals(rest.state.scores, unbroken.state.scores);
    const steps = (await readRunLog(join(broken, "log.jsonl"))).filter((x) => x.kind === "step");
    assertEquals(steps.map((x) => x.step), [1, 2, 3, 4, 5, 6]);
    await Deno.remove(broken, { recursive: true });
  }
  await Deno.remove(whole, { recursive: true });
});

Deno.test("a non-finite loss stops training with a clear message and the last checkpoint intact", async () => {
  const runDir = await Deno.makeTempDir();
  const cfg = tinyExperiment();
  await train(cfg, { runDir, stopAtStep: 3, ...quiet });
  await resolveCheckpoint(runDir, "last");
  const exploding = tinyExperiment({ optimizer: { name: "adam", lr: 1e30 } });
  const err = await assertRejects(
    () => train(exploding, { runDir, resume: true, ...quiet }),
    KitError,
  );
  assert(/the loss became (NaN|Infinity)/.test(err.message), err.message);
  assert(err.message.includes("--resume"), err.message);
  // The resumed run validated epoch 1 and checkpointed step 3 again (under a new name).
  const after = await resolveCheckpoint(runDir, "last");
  assertEquals((await readCheckpointMeta(after)).state.step, 3);
  await Deno.remove(runDir, { recursive: true });
});

Deno.test("a corrupt image in a dataset is skipped and counted, not fatal", async () => {
  const dir = await Deno.makeTempDir();
  const data = dataConfig({ inputSize: 32, synth: { imageSize: 48 } });
  const annotations = await exportSynth({
    out: dir,
    count: 12,
    valCount: 4,
    config: data,
    progress: false,
  });
  await Deno.writeTextFile(join(dir, "images", "train_000003.png"), "not a png");
  const cfg = tinyExperiment({
    data: {
      dataset: "mpii_json",
      root: dir,
      annotations: { train: annotations, val: annotations },
      imageDir: join(dir, "images"),
      inputSize: 32,
      pyramidFactors: [1],
      workers: 0,
    },
    schedule: {
      batchSize: 4,
      stepsPerEpoch: 3,
      lr: { kind: "constant" },
      stages: [{ name: "main", epochs: 1 }],
    },
  });
  const lines: string[] = [];
  const r = await train(cfg, { runDir: join(dir, "run"), ...quiet, log: (l) => lines.push(l) });
  assertEquals(r.losses.length, 3);
  assertEquals(r.skipped, 1);
  assertEquals(lines.filter((l) => l.includes("train_000003.png")).length, 1, lines.join("\n"));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a config with an unknown key fails with that key's name", () => {
  assertThrows(
    () => tinyExperiment({ schedule: { batchSize: 4, epochz: 3 } }),
    KitError,
    'unknown config key "schedule.epochz"',
  );
  assertThrows(
    () =>
      tinyExperiment({
        model: { kind: "hourglass", inputSize: 64, stacks: 1, features: 8, depth: 2 },
      }),
    KitError,
    'config key "model.inputSize" must be equal to data.inputSize (32); got 64',
  );
  assertThrows(
    () =>
      tinyExperiment({ schedule: { stages: [{ name: "msr", epochs: 1, trains: "msr-only" }] } }),
    KitError,
    "only mss-msr has an MSR-net",
  );
});

/** A tiny MSS-net + MSR-net on 32 px crops, for the staged runs below. */
const TINY_MSS_MSR = {
  data: {
    inputSize: 32,
    pyramidFactors: [1, 2],
    workers: 0,
    synth: { trainSize: 24, valSize: 4 },
  },
  model: {
    kind: "mss-msr",
    inputSize: 32,
    stacks: 1,
    features: 8,
    depth: 2,
    factors: [1, 2],
    msr: { features: 8, depth: 2, factors: [1, 2] },
  },
} as const;

Deno.test("Ke's three stages train the MSS-net, then the MSR-net alone, then everything with masking", async () => {
  const runDir = await Deno.makeTempDir();
  const cfg = tinyExperiment({
    ...TINY_MSS_MSR,
    schedule: {
      batchSize: 4,
      stepsPerEpoch: 2,
      lr: { kind: "constant" },
      stages: [
        { name: "mss", epochs: 1, msrLoss: false },
        { name: "msr", epochs: 1, trains: "msr-only" },
        { name: "joint", epochs: 1, masking: true },
      ],
    },
  });
  // Weights by their layer-given name after steps 2 (end of stage 1), 4 and 6.
  const snapshots: Map<string, Float32Array>[] = [];
  const sources: string[] = [];
  for (const stop of [2, 4, 6]) {
    const r = await train(cfg, { runDir, resume: stop > 2, stopAtStep: stop, ...quiet });
    const saved = await loadTrained(runDir, "last");
    sources.push(saved.heatmaps);
    saved.net.graph.dispose();
    snapshots.push(
      new Map(
        await Promise.all(
          r.model.graph.weights.map(async (w) =>
            [w.originalName, (await w.read().data()) as Float32Array] as const
          ),
        ),
      ),
    );
  }
  const initial = buildModel(cfg.model, { seed: cfg.seed });
  snapshots.unshift(
    new Map(
      await Promise.all(
        initial.graph.weights.map(async (w) =>
          [w.originalName, (await w.read().data()) as Float32Array] as const
        ),
      ),
    ),
  );
  const names = [...snapshots[0]!.keys()];
  const changed = (a: Map<string, Float32Array>, b: Map<string, Float32Array>, msr: boolean) =>
    names.filter((n) => n.startsWith("msr") === msr && !/moving_/.test(n))
      .some((n) => a.get(n)!.some((v, i) => v !== b.get(n)![i]));
  const [start, afterMss, afterMsr, afterJoint] = snapshots as [
    Map<string, Float32Array>,
    Map<string, Float32Array>,
    Map<string, Float32Array>,
    Map<string, Float32Array>,
  ];
  // Stage 1 changes the MSS-net only, stage 2 the MSR-net only, stage 3 both.
  assertEquals(changed(start, afterMss, false), true, "stage 1 left the MSS-net alone");
  assertEquals(changed(start, afterMss, true), false, "stage 1 changed MSR-net weights");
  assertEquals(changed(afterMss, afterMsr, false), false, "stage 2 changed MSS-net weights");
  assertEquals(changed(afterMss, afterMsr, true), true, "stage 2 left the MSR-net alone");
  assertEquals(changed(afterMsr, afterJoint, false), true, "stage 3 left the MSS-net alone");
  assertEquals(changed(afterMsr, afterJoint, true), true, "stage 3 left the MSR-net alone");
  // Until the MSR-net has trained, its output is noise: checkpoints predict from the stacks.
  assertEquals(sources, ["stacks", "final", "final"]);
  await Deno.remove(runDir, { recursive: true });
});

Deno.test("a 3-stage plateau run starts stage 2 at its own rate and ends best.json on the final output", async () => {
  const runDir = await Deno.makeTempDir();
  const cfg = tinyExperiment({
    ...TINY_MSS_MSR,
    schedule: {
      batchSize: 4,
      stepsPerEpoch: 1,
      // Patience 1: a stage-1 validation that does not beat the one before divides the rate.
      lr: { kind: "plateau", patience: 1, factor: 0.2 },
      stages: [
        { name: "mss", epochs: 3, msrLoss: false },
        { name: "msr", epochs: 2, trains: "msr-only", lrScale: 0.5 },
        { name: "joint", epochs: 1, masking: true },
      ],
    },
  });
  await train(cfg, { runDir, ...quiet });
  const log = await readRunLog(join(runDir, "log.jsonl"));
  const firstStep = (stage: string) =>
    log.find((r) => r.kind === "step" && r.stage === stage) as { lr: number };
  // Whatever stage 1 did with its rate, stage 2 starts at its own (2e-3 x 0.5), stage 3 at 2e-3.
  assertEquals(firstStep("msr").lr, 1e-3);
  assertEquals(firstStep("joint").lr, 2e-3);
  // best.json points at a checkpoint scored on the final (MSR-net) output, which eval loads.
  const best = await readCheckpointMeta(await resolveCheckpoint(runDir, "best"));
  assertEquals(best.state.extra?.bestSource, "final");
  assert(best.state.epoch > 3, `best is a stage-1 checkpoint (epoch ${best.state.epoch})`);
  const loaded = await loadTrained(runDir, "best");
  assertEquals(loaded.heatmaps, "final");
  loaded.net.graph.dispose();
  const last = await readCheckpointMeta(await resolveCheckpoint(runDir, "last"));
  assertEquals(last.state.extra?.scoreEpochs, [0, 1, 2, 3, 4, 5]);
  await Deno.remove(runDir, { recursive: true });
});
