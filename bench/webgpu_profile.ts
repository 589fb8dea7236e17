/**
 * Where a WebGPU training step spends its GPU time, kernel by kernel, and what it costs the host.
 *
 * Prints (1) the step time with the kit's webgpu kernels and with tfjs's own (before/after),
 * (2) host readbacks and buffer-pool growth per step over `--steps` steps, (3) a per-kernel GPU
 * profile of one step (timestamp queries where the adapter has them), and (4) for the
 * convolution layers of the step: forward, input-gradient and filter-gradient GPU time and
 * GFLOP/s beside tfjs's MatMul of the same M x N x K.
 *
 * ```sh
 * deno task bench-webgpu --stacks 1 --features 64 --batch 2 --size 64
 * ```
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/backend/select.ts";
import { setWebGpuKernelsEnabled } from "../lib/backend/webgpu_kernels.ts";
import { numberFlag, parseFlags, runMain } from "../lib/cli/args.ts";
import { paperLoss } from "../lib/losses/config.ts";
import { buildModel, type PoseModel, resolveModelConfig } from "../lib/models/mod.ts";
import { makeOptimizer, optimizerDefaults } from "../lib/train/optimizer.ts";
import { type TrainBatch, trainStep } from "../lib/train/step.ts";
import { formatProfile, profileWithBackendTimer } from "./profile.ts";
import { type ConvLayer, convLayersOf, timeConvKernels } from "./webgpu_convs.ts";

const USAGE = `usage: deno task bench-webgpu [options]
  --stacks S     hourglass stacks (default 1)
  --features F   features per residual module (default 64)
  --batch B      batch size (default 2)
  --size R       input side, a multiple of 64 (default 64)
  --steps N      steps for the step time and the readback count (default 3)
  --reps N       timed runs of each convolution kernel (default 3)
  --rows N       kernels shown in the step profile (default 25)
  --layers N     convolution layers timed, most FLOPs first (default: all)
  --json         print the results as one JSON object on the last stdout line`;

/** The parts of tfjs-backend-webgpu's backend this benchmark watches. */
interface WebGpuInternals {
  supportTimestampQuery: boolean;
  bufferManager: { numBytesAllocated: number; numUsedBuffers: number; numFreeBuffers: number };
  getBufferData(buffer: GPUBuffer): Promise<ArrayBuffer>;
}

function syntheticBatch(net: PoseModel, batch: number): TrainBatch {
  const { inputSize: s, joints } = net.config;
  return tf.tidy(() => ({
    images: tf.randomUniform([batch, s, s, 3], 0, 1, "float32", 1) as tf.Tensor4D,
    targets: [1, 2, 4, 8].map((f) =>
      tf.randomUniform([batch, s / 4 / f, s / 4 / f, joints], 0, 1, "float32", f) as tf.Tensor4D
    ),
    weights: tf.ones([batch, joints]) as tf.Tensor2D,
  }));
}

/** Readbacks (GPU to host copies) and buffer-pool size around each of `steps` steps. */
async function hostCost(backend: WebGpuInternals, step: () => Promise<void>, steps: number) {
  let readbacks = 0;
  const original = backend.getBufferData;
  backend.getBufferData = function (buffer) {
    readbacks++;
    return original.call(this, buffer);
  };
  const pool = () => backend.bufferManager.numUsedBuffers + backend.bufferManager.numFreeBuffers;
  const perStep = [];
  try {
    for (let i = 0; i < steps; i++) {
      const before = { bytes: backend.bufferManager.numBytesAllocated, buffers: pool() };
      readbacks = 0;
      await step();
      perStep.push({
        readbacks,
        newBuffers: pool() - before.buffers,
        newBytes: backend.bufferManager.numBytesAllocated - before.bytes,
        tensors: tf.memory().numTensors,
      });
    }
  } finally {
    backend.getBufferData = original;
  }
  return perStep;
}

async function median(fn: () => Promise<void>, n: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

async function main(): Promise<void> {
  const flags = parseFlags(Deno.args, {
    string: ["stacks", "features", "batch", "size", "steps", "reps", "rows", "layers"],
    boolean: ["json"],
  }, USAGE);
  const stacks = numberFlag(flags, "stacks", 1, { min: 1, integer: true });
  const features = numberFlag(flags, "features", 64, { min: 4, integer: true });
  const batchSize = numberFlag(flags, "batch", 2, { min: 1, integer: true });
  const size = numberFlag(flags, "size", 64, { min: 64, integer: true });
  const steps = numberFlag(flags, "steps", 3, { min: 1, integer: true });
  const reps = numberFlag(flags, "reps", 3, { min: 1, integer: true });
  const rows = numberFlag(flags, "rows", 25, { min: 1, integer: true });
  const maxLayers = numberFlag(flags, "layers", Infinity, { min: 1 });
  const log = (line: string) => console.error(line);

  const choice = await initBackend("webgpu", log);
  const backend = tf.backend() as unknown as WebGpuInternals;
  log(`timer: ${backend.supportTimestampQuery ? "timestamp queries" : "queue completion"}`);
  const net = buildModel(
    resolveModelConfig({ kind: "hourglass", stacks, features, inputSize: size }),
    { seed: 1 },
  );
  const batch = syntheticBatch(net, batchSize);
  const optimizer = makeOptimizer(optimizerDefaults);
  const loss = paperLoss("hourglass");
  const step = async () => void (await trainStep(net, optimizer, batch, loss));
  log(`model: hourglass ${stacks}x${features}, batch ${batchSize}, ${size} px`);

  // Before/after: the same steps with tfjs's kernels and with the kit's.
  const stepMs: Record<string, number> = {};
  for (const [label, kit] of [["tfjs kernels", false], ["kit kernels", true]] as const) {
    setWebGpuKernelsEnabled(kit);
    await step(); // compiles the shaders
    stepMs[label] = await median(step, steps);
    log(`train step, ${label}: ${stepMs[label]!.toFixed(0)} ms (median of ${steps})`);
  }
  setWebGpuKernelsEnabled(true);

  const perStep = await hostCost(backend, step, steps);
  log("\nper step: readbacks, new pool buffers, new pool bytes, live tensors");
  perStep.forEach((s, i) =>
    log(`step ${i + 1}: ${s.readbacks}, ${s.newBuffers}, ${s.newBytes}, ${s.tensors}`)
  );

  const profile = await profileWithBackendTimer(step);
  log(formatProfile("train step (GPU time per kernel)", profile, rows));

  const flops = (l: ConvLayer) => l.x[0] * l.x[1] * l.x[2] * l.filter.reduce((p, d) => p * d, 1);
  const all = await convLayersOf(step);
  const layers = all.sort((p, q) => flops(q) - flops(p)).slice(0, maxLayers);
  log(`\n${layers.length} of ${all.length} convolution layers (most FLOPs first); GEMM M x N x K:`);
  const convs = await timeConvKernels(layers, reps, log);

  tf.dispose(batch);
  optimizer.dispose();
  net.graph.dispose();
  if (flags.json) {
    console.log(JSON.stringify({
      backend: choice.backend,
      adapter: choice.adapter,
      model: { stacks, features, batch: batchSize, size },
      stepMs,
      profile,
      convs,
      perStep,
    }));
  }
}

if (import.meta.main) await runMain(main);
