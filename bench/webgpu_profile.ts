/**
 * Where a WebGPU training step spends its GPU time, kernel by kernel, and what it costs the host.
 *
 * Prints (1) the step time with the kit's webgpu kernels and with tfjs's own (before/after),
 * and with the losses read back every step or every `--log-every` steps (as the training loop
 * does on webgpu), (2) host readbacks and buffer-pool growth per step, reading every step and
 * over `--flat-steps` steps reading every K, (3) compute dispatches per kernel of one step,
 * (4) a per-kernel GPU profile of one step (timestamp queries where the adapter has them), and
 * (5) for the convolution layers of the step: forward, input-gradient and filter-gradient GPU
 * time and GFLOP/s beside tfjs's MatMul of the same M x N x K.
 *
 * ```sh
 * deno task bench-webgpu --stacks 1 --features 64 --batch 2 --size 64
 * ```
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/backend/select.ts";
import {
  setWebGpuFusedEnabled,
  setWebGpuKernelsDisabled,
  setWebGpuKernelsEnabled,
} from "../lib/backend/webgpu_kernels.ts";
import { choiceFlag, numberFlag, parseFlags, runMain } from "../lib/cli/args.ts";
import { paperLoss } from "../lib/losses/config.ts";
import { buildModel, MODEL_KINDS, type PoseModel } from "../lib/models/mod.ts";
import { benchModelConfig } from "./bench.ts";
import { makeOptimizer, optimizerDefaults } from "../lib/train/optimizer.ts";
import {
  type PendingStep,
  readSteps,
  type TrainBatch,
  trainStep,
  trainStepQueued,
} from "../lib/train/step.ts";
import { formatProfile, profileWithBackendTimer } from "./profile.ts";
import { type ConvLayer, convLayersOf, timeConvKernels } from "./webgpu_convs.ts";
import {
  dispatchCounts,
  formatDispatches,
  type HostCost,
  hostCost,
  type WebGpuInternals,
} from "./webgpu_host.ts";

const USAGE = `usage: deno task bench-webgpu [options]
  --model K      hourglass, mss, mss-msr or mssh (default hourglass; the paper's loss for it)
  --stacks S     hourglass stacks (default 1)
  --features F   features per residual module (default 64)
  --batch B      batch size (default 2)
  --size R       input side, a multiple of 64 (default 64)
  --steps N      steps for the step time and the readback count (default 3)
  --reps N       timed runs of each convolution kernel (default 3)
  --rows N       kernels shown in the step profile (default 25)
  --layers N     convolution layers timed, most FLOPs first (default: all)
  --pointwise    time only the 1x1 stride-1 convolution layers
  --off NAMES    kit kernels (comma-separated) one step mode leaves to tfjs, e.g.
                 Conv2D,FusedConv2D,BatchNormGradSums (default: none)
  --log-every K  steps per loss readback in the deferred runs (default 10)
  --flat-steps N steps of the deferred run that watches GPU memory (default 100)
  --quick        skip the per-kernel GPU profile and the convolution timings
  --json         print the results as one JSON object on the last stdout line`;

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

/** Min..max of the pool, bytes in use and live tensors after the first interval; readbacks. */
function summarizeFlat(perStep: readonly HostCost[], every: number) {
  const after = perStep.slice(Math.min(every, perStep.length - 1));
  const range = (xs: number[]) => [Math.min(...xs), Math.max(...xs)];
  return {
    readbacks: perStep.reduce((n, s) => n + s.readbacks, 0),
    stepsWithReadback: perStep.filter((s) => s.readbacks > 0).length,
    poolBytes: range(after.map((s) => s.poolBytes)),
    bytesInUse: range(after.map((s) => s.bytesInUse)),
    tensors: range(after.map((s) => s.tensors)),
  };
}

async function main(): Promise<void> {
  const flags = parseFlags(Deno.args, {
    string: [
      "model",
      "stacks",
      "features",
      "batch",
      "size",
      "steps",
      "reps",
      "rows",
      "layers",
      "log-every",
      "flat-steps",
      "off",
    ],
    boolean: ["json", "quick", "pointwise"],
  }, USAGE);
  const stacks = numberFlag(flags, "stacks", 1, { min: 1, integer: true });
  const features = numberFlag(flags, "features", 64, { min: 4, integer: true });
  const batchSize = numberFlag(flags, "batch", 2, { min: 1, integer: true });
  const size = numberFlag(flags, "size", 64, { min: 64, integer: true });
  const steps = numberFlag(flags, "steps", 3, { min: 1, integer: true });
  const reps = numberFlag(flags, "reps", 3, { min: 1, integer: true });
  const rows = numberFlag(flags, "rows", 25, { min: 1, integer: true });
  const maxLayers = numberFlag(flags, "layers", Infinity, { min: 1 });
  const every = numberFlag(flags, "log-every", 10, { min: 1, integer: true });
  const flatSteps = numberFlag(flags, "flat-steps", 100, { min: 1, integer: true });
  const log = (line: string) => console.error(line);

  const choice = await initBackend("webgpu", log);
  const backend = tf.backend() as unknown as WebGpuInternals;
  log(`timer: ${backend.supportTimestampQuery ? "timestamp queries" : "queue completion"}`);
  const kind = choiceFlag(flags, "model", MODEL_KINDS, "hourglass");
  const net = buildModel(benchModelConfig(kind, stacks, features, size), { seed: 1 });
  const batch = syntheticBatch(net, batchSize);
  const optimizer = makeOptimizer(optimizerDefaults);
  const loss = paperLoss(kind);
  const step = async () => void (await trainStep(net, optimizer, batch, loss));
  log(`model: ${kind} ${stacks}x${features}, batch ${batchSize}, ${size} px`);

  // The training loop's way on webgpu: steps queued, their losses read every `every` steps.
  const pending: PendingStep[] = [];
  const queued = async (i: number) => {
    pending.push(trainStepQueued(net, optimizer, batch, loss));
    if ((i + 1) % every === 0) await readSteps(pending.splice(0));
  };
  const deferredInterval = async () => {
    for (let i = 0; i < every; i++) await queued(i);
  };
  // Before/after, interleaved round by round (the machine's load drifts): tfjs's kernels and
  // the kit's, reading the loss every step; the kit's, reading it every `every` steps.
  // One mode leaves some of the kit's kernels to tfjs (--off: a before/after inside a step).
  const off = flags.off === undefined ? [] : String(flags.off).split(",").filter((n) => n);
  const modes = [
    { label: "tfjs kernels, loss read every step", kit: false, fused: false, run: step, steps: 1 },
    {
      label: "kit convolutions, tfjs element-wise, loss read every step",
      kit: true,
      fused: false,
      run: step,
      steps: 1,
    },
    {
      label: `kit + fused without ${off.join(", ") || "(none)"}, loss read every step`,
      kit: true,
      fused: true,
      off,
      run: step,
      steps: 1,
    },
    {
      label: "kit convolutions + fused, loss read every step",
      kit: true,
      fused: true,
      run: step,
      steps: 1,
    },
    {
      label: `kit convolutions + fused, losses read every ${every} steps`,
      kit: true,
      fused: true,
      run: deferredInterval,
      steps: every,
    },
  ];
  const times = modes.map(() => [] as number[]);
  for (let round = 0; round <= steps; round++) { // round 0 compiles the shaders
    for (const [i, m] of modes.entries()) {
      setWebGpuKernelsEnabled(m.kit);
      setWebGpuFusedEnabled(m.fused);
      setWebGpuKernelsDisabled(m.off ?? []);
      const t0 = performance.now();
      await m.run();
      if (round > 0) times[i]!.push((performance.now() - t0) / m.steps);
    }
  }
  setWebGpuKernelsEnabled(true);
  setWebGpuKernelsDisabled([]);
  const stepMs: Record<string, number> = {};
  modes.forEach((m, i) => {
    const sorted = times[i]!.sort((p, q) => p - q);
    stepMs[m.label] = sorted[Math.floor(sorted.length / 2)]!;
    log(`train step, ${m.label}: ${stepMs[m.label]!.toFixed(0)} ms (median of ${steps} rounds)`);
  });

  const perStep = await hostCost(backend, () => step(), steps);
  log("\nreading every step: readbacks, new pool buffers, new pool bytes, live tensors");
  perStep.forEach((s, i) =>
    log(`step ${i + 1}: ${s.readbacks}, ${s.newBuffers}, ${s.newBytes}, ${s.tensors}`)
  );
  const flat = await hostCost(backend, queued, flatSteps);
  await readSteps(pending.splice(0));
  const flatSummary = summarizeFlat(flat, every);
  log(
    `\nreading every ${every} steps, ${flatSteps} steps: ${flatSummary.readbacks} readbacks ` +
      `(ceil(steps/K) = ${Math.ceil(flatSteps / every)}), ${flatSummary.stepsWithReadback} ` +
      `steps with one; after step ${every}: pool ${flatSummary.poolBytes.join("..")} bytes, ` +
      `in use (numBytesInGPU) ${flatSummary.bytesInUse.join("..")} bytes, live tensors ` +
      `${flatSummary.tensors.join("..")}`,
  );

  setWebGpuKernelsEnabled(false);
  const tfjsDispatches = await dispatchCounts(backend, step);
  setWebGpuKernelsEnabled(true);
  setWebGpuFusedEnabled(false);
  const unfusedDispatches = await dispatchCounts(backend, step);
  setWebGpuFusedEnabled(true);
  setWebGpuKernelsDisabled(off);
  const offDispatches = await dispatchCounts(backend, step);
  setWebGpuKernelsDisabled([]);
  const dispatches = await dispatchCounts(backend, step);
  log(`\ntfjs kernels: ${formatDispatches(tfjsDispatches, rows)}`);
  log(`\nkit convolutions, tfjs element-wise: ${formatDispatches(unfusedDispatches, rows)}`);
  log(`\nkit + fused without ${off.join(", ")}: ${formatDispatches(offDispatches, rows)}`);
  log(`\nkit convolutions + fused: ${formatDispatches(dispatches, rows)}`);

  let profile, convs;
  if (!flags.quick) {
    profile = await profileWithBackendTimer(step);
    log(formatProfile("train step (GPU time per kernel)", profile, rows));

    const flops = (l: ConvLayer) => l.x[0] * l.x[1] * l.x[2] * l.filter.reduce((p, d) => p * d, 1);
    const pointwise = (l: ConvLayer) =>
      l.filter[0] === 1 && l.filter[1] === 1 && l.strides[0] === 1 && l.strides[1] === 1;
    const all = (await convLayersOf(step)).filter((l) => !flags.pointwise || pointwise(l));
    const layers = all.sort((p, q) => flops(q) - flops(p)).slice(0, maxLayers);
    log(
      `\n${layers.length} of ${all.length} convolution layers (most FLOPs first); GEMM M x N x K:`,
    );
    convs = await timeConvKernels(layers, reps, log);
  }

  tf.dispose(batch);
  optimizer.dispose();
  net.graph.dispose();
  if (flags.json) {
    console.log(JSON.stringify({
      backend: choice.backend,
      adapter: choice.adapter,
      model: { kind, stacks, features, batch: batchSize, size },
      stepMs,
      profile,
      convs,
      perStep,
      dispatches,
      tfjsDispatches,
      unfusedDispatches,
      off,
      offDispatches,
      flat: { logEvery: every, steps: flatSteps, ...flatSummary },
    }));
  }
}

if (import.meta.main) await runMain(main);
