/**
 * Before training: will one step fit the backend's memory? A step that does not fit traps
 * mid-step on wasm ("memory access out of bounds" once the 4 GiB wasm32 heap is full) or fails
 * a WebGPU buffer allocation; this check stops first, with one line naming the need, the limit
 * and what to change.
 *
 * The estimate is measured, not modelled: one training step of a throwaway copy of the network
 * at batch 1, after one unmeasured (random data, plain SGD with rate 0, so nothing of the real run changes), its peak
 * of live memory over what was alive before it, scaled to the batch:
 *
 * ```
 * need(B) ≈ held + G + (P1 - G) · B
 * ```
 *
 * with `P1` the batch-1 peak (tensor bytes, and on wasm the heap's live allocations, which also
 * see the temporaries inside kernels), `G` the gradients (one per trainable weight, independent
 * of the batch) and `held` what is alive already plus the optimizer's slots (two per weight, as
 * RMSprop and Adam keep). Everything but `G` is scaled with the batch, so the estimate errs high.
 * On wasm the need is then taken 1.3 times: the heap also holds the gaps fragmentation leaves
 * (measured 1.24-1.29 times the live peak).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { KitError } from "../io/errors.ts";
import type { LossConfig } from "../losses/config.ts";
import { buildModel, countParams, type ModelConfig } from "../models/mod.ts";
import { type TrainBatch, trainStep } from "./step.ts";

/** wasm32's address space: the most a wasm backend's heap can grow to. */
export const WASM_HEAP_LIMIT = 2 ** 32;
/** Optimizer slots per weight assumed (RMSprop and Adam keep two). */
const OPTIMIZER_SLOTS = 2;
const FLOAT_BYTES = 4;
/** The target pyramid's factors (lib/train/step.ts's TrainBatch). */
const TARGET_FACTORS = [1, 2, 4, 8];
/**
 * wasm heap size over the step's live allocations, measured: 1.29 (batch 4) and 1.24 (batch
 * 16) for the 2x64 hourglass at 256 px (bench/RESULTS.md, "training memory").
 */
const WASM_HEAP_HEADROOM = 1.3;

/** A backend's memory limit and its name for the message. */
export interface MemoryLimit {
  readonly bytes: number;
  /** e.g. "wasm's 4 GiB heap". */
  readonly what: string;
  /** true when the limit is on one buffer (WebGPU's maxBufferSize), not the total. */
  readonly perBuffer: boolean;
}

/** What {@link checkStepFits} found. */
export interface StepFit {
  /** Estimated bytes at the step's peak (total, or the largest buffer for a per-buffer limit). */
  readonly needBytes: number;
  readonly limit: MemoryLimit;
  /** Largest batch estimated to fit (0 when not even batch 1 does). */
  readonly maxBatch: number;
  readonly fits: boolean;
}

/** What the check needs of the run. */
export interface StepFitOptions {
  readonly model: ModelConfig;
  readonly batchSize: number;
  readonly loss: LossConfig;
  /** Replaces the backend's limit (tests). */
  readonly limit?: MemoryLimit;
  /** Progress line (default: none). */
  readonly log?: (line: string) => void;
}

const gib = (b: number) => `${(b / 2 ** 30).toFixed(b < 2 ** 30 ? 2 : 1)} GiB`;

/**
 * The current backend's memory limit: wasm's 4 GiB heap (or the machine's available memory if
 * smaller), WebGPU's maxBufferSize for one buffer, the machine's available memory on cpu.
 *
 * @example
 * ```ts
 * backendMemoryLimit(); // { bytes: 4294967296, what: "wasm's 4 GiB heap", perBuffer: false }
 * ```
 */
export function backendMemoryLimit(): MemoryLimit {
  const backend = tf.getBackend();
  let available = Infinity;
  try {
    available = Deno.systemMemoryInfo().available;
  } catch { /* not on every platform */ }
  const machine = { bytes: available, what: `this machine's ${gib(available)} free memory` };
  if (backend === "webgpu") {
    const device = (tf.backend() as unknown as { device?: GPUDevice }).device;
    const max = device?.limits.maxBufferSize;
    if (max) {
      return {
        bytes: max,
        what: `the GPU's largest buffer (maxBufferSize ${gib(max)})`,
        perBuffer: true,
      };
    }
  }
  if (backend === "wasm" && WASM_HEAP_LIMIT < available) {
    return { bytes: WASM_HEAP_LIMIT, what: "wasm's 4 GiB heap", perBuffer: false };
  }
  return { ...machine, perBuffer: false };
}

/** Peak bytes of `fn` over what was live before it, and its largest tensor. */
async function measurePeak(fn: () => Promise<void>): Promise<{ peak: number; largest: number }> {
  const before = tf.memory().numBytes;
  const wasm = tf.getBackend() === "wasm"
    ? (tf.backend() as unknown as { wasm: { _malloc(n: number): number; _free(p: number): void } })
      .wasm
    : undefined;
  let live = 0, mallocPeak = 0;
  const sizes = new Map<number, number>();
  const malloc = wasm?._malloc, free = wasm?._free;
  if (wasm && malloc && free) {
    // Counts what the step allocates, temporaries inside kernels included.
    wasm._malloc = (n: number) => {
      const p = malloc.call(wasm, n);
      sizes.set(p >>> 0, n);
      live += n;
      mallocPeak = Math.max(mallocPeak, live);
      return p;
    };
    wasm._free = (p: number) => {
      live -= sizes.get(p >>> 0) ?? 0;
      sizes.delete(p >>> 0);
      free.call(wasm, p);
    };
  }
  try {
    const info = await tf.profile(fn);
    const largest = Math.max(
      0,
      ...info.kernels.flatMap((k) =>
        k.outputShapes.map((s) => (s ?? []).reduce((p, d) => p * d, 1) * FLOAT_BYTES)
      ),
    );
    // On wasm the allocator's count is exact; the engine's byte count adds a saved tensor's
    // bytes again for every clone the tape keeps of it, so elsewhere the estimate errs high.
    return { peak: wasm ? mallocPeak : info.peakBytes - before, largest };
  } finally {
    if (wasm && malloc && free) wasm._malloc = malloc, wasm._free = free;
  }
}

/**
 * Estimates one training step's peak memory at `batchSize` from a measured step at batch 1 and
 * compares it with the backend's limit.
 *
 * @example
 * ```ts
 * const fit = await estimateStepFit({ model: cfg.model, batchSize: 16, loss: cfg.loss });
 * fit.fits; // false for the 2x64 hourglass at 256 px on wasm before the memory cuts
 * ```
 */
export async function estimateStepFit(opts: StepFitOptions): Promise<StepFit> {
  const limit = opts.limit ?? backendMemoryLimit();
  opts.log?.(`checking that a training step fits ${limit.what} (two steps at batch 1)...`);
  const held = tf.memory().numBytes;
  const net = buildModel(opts.model, { seed: 1 });
  const weights = countParams(net) * FLOAT_BYTES;
  const optimizer = tf.train.sgd(0);
  const s = opts.model.inputSize, joints = opts.model.joints;
  let measured: { peak: number; largest: number };
  try {
    // Twice: the first step on a backend also builds what it caches for good (kernel
    // constants, primitives), which would count as the step's own.
    const step = async () => {
      const batch: TrainBatch = tf.tidy(() => ({
        images: tf.randomUniform([1, s, s, 3], 0, 1, "float32", 1) as tf.Tensor4D,
        // Factors 1, 2, 4, 8 in order, as far as the output side divides (tiny test models).
        targets: TARGET_FACTORS.filter((f) => Number.isInteger(s / 4 / f)).map((f) =>
          tf.zeros([1, s / 4 / f, s / 4 / f, joints]) as tf.Tensor4D
        ),
        weights: tf.ones([1, joints]) as tf.Tensor2D,
      }));
      try {
        await trainStep(net, optimizer, batch, opts.loss);
      } finally {
        tf.dispose(batch);
      }
    };
    await step();
    measured = await measurePeak(step);
  } finally {
    optimizer.dispose();
    net.graph.dispose();
  }
  const grads = weights;
  const perSample = Math.max(0, measured.peak - grads);
  const fixed = held + OPTIMIZER_SLOTS * weights + grads;
  // The wasm heap holds the live allocations plus what fragmentation leaves between them.
  const headroom = tf.getBackend() === "wasm" && !limit.perBuffer ? WASM_HEAP_HEADROOM : 1;
  const need = (b: number) =>
    limit.perBuffer ? measured.largest * b : (fixed + perSample * b) * headroom;
  const perBatch = limit.perBuffer ? measured.largest : perSample * headroom;
  const room = limit.perBuffer ? limit.bytes : limit.bytes - fixed * headroom;
  const maxBatch = perBatch > 0 ? Math.max(0, Math.floor(room / perBatch)) : Infinity;
  const needBytes = need(opts.batchSize);
  return { needBytes, limit, maxBatch, fits: needBytes <= limit.bytes };
}

/**
 * {@link estimateStepFit}, then a KitError with one line when the step cannot fit: the need,
 * the limit, and what to change.
 *
 * @example
 * ```ts
 * await checkStepFits({ model: cfg.model, batchSize: cfg.schedule.batchSize, loss: cfg.loss, log: console.log });
 * ```
 */
export async function checkStepFits(opts: StepFitOptions): Promise<StepFit> {
  const fit = await estimateStepFit(opts);
  const { stacks, features, inputSize } = opts.model;
  const what = `a training step of the ${stacks}x${features} ${opts.model.kind} at ` +
    `${inputSize} px, batch ${opts.batchSize}`;
  if (fit.fits) {
    opts.log?.(`${what} needs about ${gib(fit.needBytes)} of ${fit.limit.what}`);
    return fit;
  }
  const need = fit.limit.perBuffer
    ? `a ${gib(fit.needBytes)} buffer`
    : `about ${gib(fit.needBytes)}`;
  const fix = fit.maxBatch >= 1
    ? `lower schedule.batchSize to ${fit.maxBatch} or less`
    : "even batch 1 does not fit: lower data.inputSize and model.inputSize";
  const other = tf.getBackend() === "webgpu"
    ? "or use --backend wasm"
    : "or train on a GPU (--backend webgpu)";
  throw new KitError(
    `${what} needs ${need} but ${fit.limit.what} cannot hold it: ${fix}, ` +
      `make the input smaller (data.inputSize, model.inputSize), ${other}`,
  );
}
