/**
 * `deno task bench`: builds a model, times one training step and one inference pass (median
 * over `--steps` runs after `--warmup` runs), and reports parameters and peak live tensors.
 * With `--json` the last line of stdout is one JSON object; everything else goes before it or
 * to stderr.
 *
 * ```
 * deno task bench --model mss --stacks 2 --features 64 --batch 4 --size 256 --backend cpu --json
 * ```
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { BACKEND_CHOICES, type BackendRequest, initBackend } from "../lib/backend/select.ts";
import { choiceFlag, numberFlag, parseFlags, runMain } from "../lib/cli/args.ts";
import { KitError } from "../lib/io/errors.ts";
import { paperLoss } from "../lib/losses/config.ts";
import {
  buildModel,
  countParams,
  formatSummary,
  forward,
  MODEL_KINDS,
  type ModelKind,
  type PoseModel,
  resolveModelConfig,
  summarizeModel,
} from "../lib/models/mod.ts";
import { Progress } from "../lib/progress/mod.ts";
import { type TrainBatch, trainStep } from "../lib/train/step.ts";

const USAGE = `usage: deno task bench [options]
  --model hourglass|mss|mss-msr|mssh   network (default hourglass)
  --stacks S        stacks (default 2)
  --features F      features per residual module (default 64)
  --batch B         batch size (default 4)
  --size R          input side in pixels, a multiple of 64 (default 256)
  --backend auto|webgpu|wasm|cpu   (default auto)
  --steps N         timed runs of each measurement (default 5)
  --warmup N        untimed runs before them (default 2)
  --json            print the result as one JSON object on the last stdout line`;

/** What a benchmark measures. */
export interface BenchResult {
  readonly model: ModelKind;
  readonly backend: string;
  readonly stacks: number;
  readonly features: number;
  readonly batch: number;
  readonly size: number;
  readonly params: number;
  /** Median milliseconds of one training step (forward, loss, backward, update), or null. */
  readonly trainStepMs: number | null;
  /** Why the training step could not run (e.g. a kernel missing on this backend). */
  readonly trainError?: string;
  /** Median milliseconds of one inference pass (training = false) with the read-back. */
  readonly inferMs: number;
  /** Training samples per second at the median step time, or null. */
  readonly samplesPerSec: number | null;
  readonly inferSamplesPerSec: number;
  /** Most tensors alive at once during one training step (inference if training failed). */
  readonly peakTensors: number;
  readonly peakBytes: number;
  readonly steps: number;
  readonly warmup: number;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Random images and a target pyramid (factors 1, 2, 4, 8) of the model's shapes. */
function syntheticBatch(pm: PoseModel, batch: number): TrainBatch {
  const { inputSize: s, joints } = pm.config;
  return tf.tidy(() => ({
    images: tf.randomUniform([batch, s, s, 3], 0, 1, "float32", 1) as tf.Tensor4D,
    targets: [1, 2, 4, 8].map((f) =>
      tf.randomUniform([batch, s / 4 / f, s / 4 / f, joints], 0, 1, "float32", f) as tf.Tensor4D
    ),
    weights: tf.ones([batch, joints]) as tf.Tensor2D,
  }));
}

/** Times `run` `warmup + steps` times and returns the median of the timed runs. */
async function time(
  label: string,
  steps: number,
  warmup: number,
  run: () => Promise<void>,
): Promise<number> {
  const progress = new Progress({
    total: warmup + steps,
    unit: "runs",
    label,
    live: false,
    everyMs: 0,
    write: (text) => Deno.stderr.writeSync(new TextEncoder().encode(text)),
  });
  const times: number[] = [];
  for (let i = 0; i < warmup + steps; i++) {
    const t0 = performance.now();
    await run();
    const ms = performance.now() - t0;
    if (i >= warmup) times.push(ms);
    progress.tick(1, { ms: Math.round(ms) });
  }
  return median(times);
}

/** Most live tensors and bytes during one run of `fn`. */
async function peakMemory(fn: () => Promise<void>): Promise<{ tensors: number; bytes: number }> {
  const info = await tf.profile(fn);
  const tensors = Math.max(
    tf.memory().numTensors,
    ...info.kernels.map((k) => k.totalTensorsSnapshot),
  );
  return { tensors, bytes: info.peakBytes };
}

/**
 * Builds the model and measures it.
 *
 * @example
 * ```ts
 * const r = await runBench({ model: "hourglass", stacks: 1, features: 16, batch: 1, size: 64, backend: "cpu", steps: 2, warmup: 1 });
 * r.inferMs;
 * ```
 */
export async function runBench(opts: {
  model: ModelKind;
  stacks: number;
  features: number;
  batch: number;
  size: number;
  backend: BackendRequest;
  steps: number;
  warmup: number;
  log?: (line: string) => void;
}): Promise<BenchResult> {
  const log = opts.log ?? ((line: string) => console.error(line));
  const choice = await initBackend(opts.backend, log);
  const override: Record<string, unknown> = {
    kind: opts.model,
    stacks: opts.stacks,
    features: opts.features,
    inputSize: opts.size,
  };
  // MSSH dispatches one pre-processing scale per stack at most.
  if (opts.model === "mssh") override.scales = Math.min(3, opts.stacks);
  const pm = buildModel(resolveModelConfig(override), { seed: 1 });
  const params = countParams(pm);
  log(formatSummary(summarizeModel(pm)));
  const batch = syntheticBatch(pm, opts.batch);

  const infer = async () => {
    const heatmaps = tf.tidy(() => forward(pm, batch.images, false).final);
    await heatmaps.data();
    heatmaps.dispose();
  };
  const inferMs = await time("inference", opts.steps, opts.warmup, infer);

  const optimizer = tf.train.rmsprop(2.5e-4);
  const lossCfg = paperLoss(opts.model);
  const train = async () => void (await trainStep(pm, optimizer, batch, lossCfg));
  let trainStepMs: number | null = null;
  let trainError: string | undefined;
  try {
    trainStepMs = await time("train step", opts.steps, opts.warmup, train);
  } catch (e) {
    trainError = e instanceof Error ? e.message : String(e);
    log(`train step failed on ${choice.backend}: ${trainError}`);
  }
  const peak = await peakMemory(trainError === undefined ? train : infer);
  tf.dispose(batch);
  optimizer.dispose();
  pm.model.dispose();

  return {
    model: opts.model,
    backend: choice.backend,
    stacks: opts.stacks,
    features: opts.features,
    batch: opts.batch,
    size: opts.size,
    params,
    trainStepMs,
    ...(trainError === undefined ? {} : { trainError }),
    inferMs,
    samplesPerSec: trainStepMs === null ? null : opts.batch / (trainStepMs / 1000),
    inferSamplesPerSec: opts.batch / (inferMs / 1000),
    peakTensors: peak.tensors,
    peakBytes: peak.bytes,
    steps: opts.steps,
    warmup: opts.warmup,
  };
}

async function main(args: readonly string[]): Promise<void> {
  const flags = parseFlags(args, {
    string: ["model", "stacks", "features", "batch", "size", "backend", "steps", "warmup"],
    boolean: ["json"],
  }, USAGE);
  const size = numberFlag(flags, "size", 256, { min: 64, integer: true });
  if (size % 64) {
    throw new KitError(
      `--size must be a multiple of 64 (the stem and hourglass halve it 6 times); got ${size}`,
    );
  }
  const result = await runBench({
    model: choiceFlag(flags, "model", MODEL_KINDS, "hourglass"),
    stacks: numberFlag(flags, "stacks", 2, { min: 1, integer: true }),
    features: numberFlag(flags, "features", 64, { min: 2, integer: true }),
    batch: numberFlag(flags, "batch", 4, { min: 1, integer: true }),
    size,
    backend: choiceFlag(flags, "backend", BACKEND_CHOICES, "auto"),
    steps: numberFlag(flags, "steps", 5, { min: 1, integer: true }),
    warmup: numberFlag(flags, "warmup", 2, { min: 0, integer: true }),
  });
  const ms = (v: number | null) => (v === null ? "n/a" : `${v.toFixed(1)} ms`);
  const summary = [
    `${result.model} ${result.stacks}x${result.features} on ${result.backend}, batch ${result.batch}, ${result.size}px`,
    `params ${result.params}`,
    `train step ${ms(result.trainStepMs)}${
      result.trainError ? ` (failed: ${result.trainError})` : ""
    }`,
    `inference ${ms(result.inferMs)}`,
    `peak tensors ${result.peakTensors}`,
  ].join("; ");
  if (flags.json) {
    console.error(summary);
    console.log(JSON.stringify(result));
  } else {
    console.log(summary);
  }
}

if (import.meta.main) {
  await runMain(() => main(Deno.args));
}
