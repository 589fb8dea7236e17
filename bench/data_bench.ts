/**
 * Data pipeline benchmark: SynthPose samples per second through the whole input pipeline
 * (render in workers, affine crop and colour jitter on the backend, heatmap pyramid targets)
 * with training augmentation, at a given crop size. The consumer does nothing but take batches,
 * so this is the rate the pipeline can sustain; compare it with the training step's rate on the
 * same machine (target: at least 4x). `--consumer-ms` keeps the main thread busy per batch like a
 * synchronous training step and reports how long the consumer waited for data.
 *
 * Run alone: `deno run -A bench/data_bench.ts [--backend wasm] [--size 256] [--workers 1]
 * [--batch 16] [--batches 12]`. With `--baseline`, it prints instead the PCKh@0.5 of the
 * mean-pose baseline on SynthPose (and on MPII with `--mpii-json` and `--mpii-h5`, the
 * bearpaw list for training poses and pose-hg-train's valid.h5 for head sizes).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { initBackend, parseBackend } from "../lib/backend/select.ts";
import { numberFlag, parseFlags, runMain } from "../lib/cli/args.ts";
import {
  dataConfig,
  DEFAULT_SYNTH_LEVEL,
  SYNTH_LEVELS,
  type SynthLevel,
} from "../lib/data/config.ts";
import { annotationsOf, type BaselineResult, meanPoseBaseline } from "../lib/data/baseline.ts";
import { openDataset } from "../lib/data/open.ts";
import { disposeBatch, openPipeline } from "../lib/data/pipeline.ts";
import { openMpiiH5 } from "../lib/data/readers/hg_h5.ts";
import { openMpiiJson } from "../lib/data/readers/mpii_json.ts";

/** What to measure. */
export interface PipelineBenchOptions {
  /** Crop side (data.inputSize); default 256. */
  readonly inputSize?: number;
  readonly batchSize?: number;
  /** Batches timed after one warm-up batch. */
  readonly batches?: number;
  /** Worker count (data.workers). */
  readonly workers?: number;
  /** Also apply keypoint masking. */
  readonly masking?: boolean;
  /**
   * Milliseconds the consumer keeps the main thread busy per batch (a synchronous stand-in for a
   * training step on wasm or cpu); 0 = an idle consumer, measuring the pipeline alone.
   */
  readonly consumerMs?: number;
}

/** A measured rate. */
export interface PipelineBenchResult {
  readonly inputSize: number;
  readonly batchSize: number;
  readonly workers: number;
  readonly backend: string;
  readonly samples: number;
  readonly seconds: number;
  readonly samplesPerSecond: number;
  /** Mean time per batch the consumer waited for data (ms): 0 when data never starves it. */
  readonly waitMsPerBatch: number;
  readonly consumerMs: number;
}

/**
 * Measures the pipeline's sustained samples/s on the current tfjs backend: one warm-up batch,
 * then `batches` batches timed, each read back (`await data()`) so that asynchronous backends
 * are timed to completion.
 *
 * @example
 * ```ts
 * const r = await benchPipeline({ inputSize: 256, workers: 1 });
 * console.log(`${r.samplesPerSecond.toFixed(1)} samples/s`);
 * ```
 */
export async function benchPipeline(opts: PipelineBenchOptions = {}): Promise<PipelineBenchResult> {
  const inputSize = opts.inputSize ?? 256;
  const batchSize = opts.batchSize ?? 16;
  const batches = opts.batches ?? 12;
  const workers = opts.workers ?? 1;
  const cfg = dataConfig({
    inputSize,
    workers,
    synth: { trainSize: batchSize * (batches + 1) },
    masking: { enabled: opts.masking ?? false },
  });
  const pipe = await openPipeline(cfg, "train", { mode: "train", batchSize, seed: 7 });
  try {
    const consumerMs = opts.consumerMs ?? 0;
    let start = 0, samples = 0, seen = 0, wait = 0, asked = performance.now();
    for await (const batch of pipe.epoch(0)) {
      await batch.images.data();
      const got = performance.now();
      if (seen++ === 0) start = got;
      else (samples += batch.size), (wait += got - asked);
      // A synchronous training step: the main thread is busy, only workers make progress.
      while (performance.now() - got < consumerMs) { /* busy */ }
      disposeBatch(batch);
      asked = performance.now();
    }
    const seconds = (performance.now() - start) / 1000;
    return {
      inputSize,
      batchSize,
      workers,
      backend: tf.getBackend(),
      samples,
      seconds,
      samplesPerSecond: samples / seconds,
      waitMsPerBatch: wait / Math.max(1, seen - 1),
      consumerMs,
    };
  } finally {
    pipe.close();
  }
}

/**
 * Formats a result as one line.
 *
 * @example
 * ```ts
 * formatPipelineBench(r); // "data pipeline 256px, batch 16, 1 worker(s), wasm: 41.2 samples/s"
 * ```
 */
export function formatPipelineBench(r: PipelineBenchResult): string {
  const consumer = r.consumerMs > 0
    ? `, consumer busy ${r.consumerMs} ms/batch, waited ${r.waitMsPerBatch.toFixed(1)} ms/batch`
    : "";
  return `data pipeline ${r.inputSize}px, batch ${r.batchSize}, ${r.workers} worker(s), ` +
    `${r.backend}: ${r.samplesPerSecond.toFixed(1)} samples/s (${r.samples} samples in ` +
    `${r.seconds.toFixed(1)} s${consumer})`;
}

/**
 * The mean-pose baseline's PCKh@0.5 on SynthPose at a level (default: the default level): the
 * mean pose of `trainCount` training people evaluated on `valCount` validation people
 * (annotations only).
 *
 * @example
 * ```ts
 * formatBaseline("SynthPose", await synthBaseline()); // "SynthPose mean pose: PCKh@0.5 Head ..."
 * ```
 */
export async function synthBaseline(
  trainCount = 5000,
  valCount = 1000,
  level: SynthLevel = DEFAULT_SYNTH_LEVEL,
): Promise<BaselineResult> {
  const cfg = dataConfig({ synth: { level, trainSize: trainCount, valSize: valCount } });
  const train = await annotationsOf(await openDataset(cfg, "train"), trainCount);
  const val = await annotationsOf(await openDataset(cfg, "val"), valCount);
  return meanPoseBaseline(train, val);
}

/**
 * The same baseline on MPII annotations (no images needed): training poses from the bearpaw
 * JSON list, validation people and head sizes from pose-hg-train's valid.h5.
 *
 * @example
 * ```ts
 * await mpiiBaseline("mpii_annotations.json.gz", "valid.h5");
 * ```
 */
export async function mpiiBaseline(json: string, h5: string): Promise<BaselineResult> {
  const images = await Deno.makeTempDir();
  try {
    const train = await openMpiiJson({ annotations: json, imageDir: images, split: "train" });
    const val = await openMpiiH5({ annotations: h5, imageDir: images });
    return meanPoseBaseline(
      await annotationsOf(train, train.length),
      await annotationsOf(val, val.length),
    );
  } finally {
    await Deno.remove(images, { recursive: true });
  }
}

/**
 * A baseline result as one table row.
 *
 * @example
 * ```ts
 * formatBaseline("MPII", r); // "MPII mean pose: PCKh@0.5 Head 17.1 Shoulder ... Mean 16.05 (2958 people)"
 * ```
 */
export function formatBaseline(name: string, r: BaselineResult): string {
  const parts = Object.entries(r.parts).map(([p, v]) => `${p} ${v.toFixed(1)}`).join(" ");
  return `${name} mean pose: PCKh@0.5 ${parts} Mean ${r.mean.toFixed(2)} (${r.people} people)`;
}

const USAGE = `usage: deno run -A bench/data_bench.ts [--backend b] [--size px] [--workers n]
         [--batch n] [--batches n] [--masking] [--consumer-ms ms]
       deno run -A bench/data_bench.ts --baseline [--mpii-json file --mpii-h5 file]`;

if (import.meta.main) {
  await runMain(async () => {
    const flags = parseFlags(
      Deno.args,
      {
        string: [
          "backend",
          "size",
          "workers",
          "batch",
          "batches",
          "consumer-ms",
          "mpii-json",
          "mpii-h5",
        ],
        boolean: ["masking", "baseline"],
      },
      USAGE,
    );
    if (flags.baseline) {
      for (const level of SYNTH_LEVELS) {
        console.log(
          formatBaseline(`SynthPose, ${level} level`, await synthBaseline(5000, 1000, level)),
        );
      }
      const json = flags["mpii-json"], h5 = flags["mpii-h5"];
      if (typeof json === "string" && typeof h5 === "string") {
        console.log(formatBaseline("MPII", await mpiiBaseline(json, h5)));
      }
      return;
    }
    await initBackend(parseBackend(String(flags.backend ?? "auto")));
    const r = await benchPipeline({
      inputSize: numberFlag(flags, "size", 256, { min: 16, integer: true }),
      workers: numberFlag(flags, "workers", 1, { min: 0, integer: true }),
      batchSize: numberFlag(flags, "batch", 16, { min: 1, integer: true }),
      batches: numberFlag(flags, "batches", 12, { min: 1, integer: true }),
      masking: flags.masking === true,
      consumerMs: numberFlag(flags, "consumer-ms", 0, { min: 0 }),
    });
    console.log(formatPipelineBench(r));
  });
}
