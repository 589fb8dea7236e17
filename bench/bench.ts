/**
 * `deno task bench`: builds a model from lib/models and measures, on one tfjs backend, a training
 * step (forward, loss, backward, RMSprop update) and an inference pass: median and minimum over
 * `--steps` runs after `--warmup` runs, process CPU time, samples/s, parameters, peak live
 * tensors, and whether the tensor count and backend memory stay flat over the steps. In the same
 * run it can time the PyTorch twin of the same network (`--torch`, bench/torch_hourglass.py)
 * and the data pipeline (`--data`, bench/data_bench.ts) and print them side by side.
 *
 * ```
 * deno task bench --model hourglass --stacks 2 --features 64 --batch 4 --size 128 --torch --data
 * deno task bench --model mss --stacks 1 --features 32 --batch 2 --size 64 --steps 100 --json
 * ```
 *
 * With `--json` the last line of stdout is one JSON object ({@link BenchReport}); the table and
 * progress go to stderr.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import process from "node:process";
import { BACKEND_CHOICES, type BackendRequest, initBackend } from "../lib/backend/select.ts";
import {
  MAX_WASM_THREADS,
  setWasmThreads,
  setWasmThreadsDefault,
  wasmThreadCount,
} from "../lib/backend/wasm_threads.ts";
import {
  describeNative,
  setNativeKernelsEnabled,
  setNativeThreads,
} from "../lib/backend/native.ts";
import { choiceFlag, numberFlag, parseFlags, runMain } from "../lib/cli/args.ts";
import { KitError } from "../lib/io/errors.ts";
import { paperLoss } from "../lib/losses/config.ts";
import {
  buildModel,
  countParams,
  formatSummary,
  forward,
  MODEL_KINDS,
  type ModelConfig,
  type ModelKind,
  type PoseModel,
  resolveModelConfig,
  summarizeModel,
} from "../lib/models/mod.ts";
import { Progress } from "../lib/progress/mod.ts";
import { makeOptimizer, optimizerDefaults } from "../lib/train/optimizer.ts";
import { checkStepFits } from "../lib/train/preflight.ts";
import { type TrainBatch, trainStep } from "../lib/train/step.ts";
import { benchPipeline, type PipelineBenchResult } from "./data_bench.ts";
import {
  formatProfile,
  type KernelProfile,
  profileKernels,
  profileWithBackendTimer,
} from "./profile.ts";
import { findTorchPython, runTorchTwin, type TorchResult } from "./torch.ts";
import { formatStepMemory, measureStepMemory, type StepMemory } from "./memory.ts";

const USAGE = `usage: deno task bench [options]
  --model hourglass|mss|mss-msr|mssh   network (default hourglass)
  --stacks S        stacks (default 2)
  --features F      features per residual module (default 64)
  --batch B         batch size (default 4)
  --size R          input side in pixels, a multiple of 64 (default 128)
  --backend auto|webgpu|wasm|cpu   (default auto)
  --threads N       cores for each side: oneDNN's and PyTorch's CPU threads; tfjs's wasm pool
                    gets N too on plain wasm, but 1 beside oneDNN (the kit's default there;
                    lib/backend/wasm_threads.ts says why). Default: the kit's defaults (oneDNN
                    on all cores, wasm pool 1 beside it, else half the cores)
  --wasm-threads W  tfjs's wasm pool exactly W threads, overriding the above
  --steps N         timed runs of each measurement (default 5); tensor count and memory are
                    checked after every training step
  --warmup N        untimed runs before them (default 2)
  --torch           also time the PyTorch twin (bench/torch_hourglass.py) and print the ratios
  --torch-device D  cpu, cuda or cuda:N (default cpu)
  --plain           with native convolutions loaded, also time plain wasm (them switched off)
                    in the same run, after the native timings
  --data            also measure the data pipeline at this size and batch, with augmentation
  --profile         print where one training step and one inference pass spend their time
  --memory          first, before anything else runs: where one training step's memory goes
                    (saved tensors per layer kind, kernel temporaries, optimizer state, peaks;
                    bench/memory.ts), and PyTorch's peak beside it with --torch
  --json            print the result as one JSON object on the last stdout line`;

/** Wall-clock and CPU time of repeated runs. */
export interface Timing {
  /** Median wall-clock ms of the timed runs. */
  readonly medianMs: number;
  readonly minMs: number;
  /** Median process CPU time (all threads) of one run, ms. */
  readonly cpuMs: number;
  readonly runsMs: readonly number[];
}

/** One reading of tfjs's memory. */
export interface MemorySnapshot {
  readonly tensors: number;
  /** Bytes of live tensors (`tf.memory().numBytes`). */
  readonly bytes: number;
  /**
   * What the backend holds: the wasm heap's size (it only grows), WebGPU's allocated buffer
   * pool (`numBytesInGPUAllocated`), or the tensor bytes on cpu.
   */
  readonly backendBytes: number;
}

/** Tensor count and memory from the end of the first training step to the last. */
export interface MemoryDrift {
  /** Training steps compared (after the first one, which creates the optimizer's slots). */
  readonly steps: number;
  readonly start: MemorySnapshot;
  readonly end: MemorySnapshot;
  readonly maxTensors: number;
  readonly tensorDrift: number;
  readonly bytesDrift: number;
  readonly backendBytesDrift: number;
  /** No growth of any of the three. */
  readonly flat: boolean;
  /**
   * The last step after which the backend's memory (wasm heap, GPU pool) was larger than after
   * the step before (0: it never grew). A heap that grows once in the first steps and then
   * holds is an allocator settling, not a leak; one that grows late or often is a leak.
   */
  readonly lastGrowthStep: number;
}

/** What `runBench` measures on the tfjs side. */
export interface BenchResult {
  readonly model: ModelKind;
  readonly backend: string;
  /** wasm threads (1 on cpu; null on WebGPU). */
  readonly threads: number | null;
  /** oneDNN's threads when its convolutions are loaded, else null. */
  readonly nativeThreads: number | null;
  readonly stacks: number;
  readonly features: number;
  readonly batch: number;
  readonly size: number;
  readonly params: number;
  /** Median ms of one training step, or null when it could not run. */
  readonly trainStepMs: number | null;
  readonly trainStepMinMs: number | null;
  readonly trainStepCpuMs: number | null;
  /** Why the training step could not run (e.g. a kernel missing on this backend). */
  readonly trainError?: string;
  /** Median ms of one inference pass (training = false), including the read-back. */
  readonly inferMs: number;
  readonly inferMinMs: number;
  readonly inferCpuMs: number;
  /** Training samples per second at the median step time, or null. */
  readonly samplesPerSec: number | null;
  readonly inferSamplesPerSec: number;
  /** Most tensors alive at once during one training step (inference if training failed). */
  readonly peakTensors: number;
  readonly peakBytes: number;
  /** Over the training steps; null when training failed or ran once. */
  readonly memory: MemoryDrift | null;
  readonly steps: number;
  readonly warmup: number;
  /** 1-minute load average at the start and the end of the tfjs measurements. */
  readonly load: [number, number];
  readonly profile?: { readonly train?: KernelProfile; readonly infer: KernelProfile };
  /** The native convolutions used (e.g. "oneDNN 2.6.3, 1 thread"), or why none. */
  readonly native?: string;
  /** With `--plain`: the same measurements with the native convolutions switched off. */
  readonly plain?: PlainTimes;
  /** With `--memory`: one training step's memory accounting (the first step of the run). */
  readonly stepMemory?: StepMemory;
}

/** Plain wasm (native convolutions off) in the same run. */
export interface PlainTimes {
  readonly trainStepMs: number | null;
  readonly trainStepMinMs: number | null;
  readonly trainStepCpuMs: number | null;
  readonly inferMs: number;
  readonly inferMinMs: number;
  readonly inferCpuMs: number;
}

/** The data pipeline against the training step's appetite. */
export interface DataComparison extends PipelineBenchResult {
  /** Samples/s the training step consumes (batch / median step time). */
  readonly consumedPerSec: number;
  /** Pipeline rate / consumption rate (issue 3's target: >= 4). */
  readonly ratio: number;
  /** With the main thread busy one training step per batch: mean ms it waited per batch. */
  readonly busyWaitMsPerBatch: number;
}

/** Everything one `deno task bench` run measured. */
export interface BenchReport extends BenchResult {
  readonly date: string;
  readonly torch?: TorchResult;
  /** Why PyTorch was not run, when `--torch` was asked for but could not be honoured. */
  readonly torchSkipped?: string;
  /** tfjs / PyTorch, median over median (and min over min). */
  readonly trainRatio?: number | null;
  readonly trainMinRatio?: number | null;
  readonly inferRatio?: number;
  readonly inferMinRatio?: number;
  readonly paramsMatch?: boolean;
  readonly data?: DataComparison;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function loadAverage(): number {
  try {
    return Deno.loadavg()[0] ?? NaN;
  } catch {
    return NaN;
  }
}

/** Random images and a target pyramid (factors 1, 2, 4, 8) of the model's shapes. */
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

/**
 * Reads the tensor count and memory now.
 *
 * @example
 * ```ts
 * memorySnapshot().tensors; // tf.memory().numTensors
 * ```
 */
export function memorySnapshot(): MemorySnapshot {
  const m = tf.memory() as tf.MemoryInfo & { numBytesInGPUAllocated?: number };
  const backend = tf.getBackend();
  let backendBytes = m.numBytes;
  if (backend === "wasm") {
    const heap = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8;
    backendBytes = heap?.length ?? m.numBytes;
  } else if (backend === "webgpu") {
    backendBytes = m.numBytesInGPUAllocated ?? m.numBytes;
  }
  return { tensors: m.numTensors, bytes: m.numBytes, backendBytes };
}

/**
 * Compares memory snapshots taken after each training step (the first one is the baseline:
 * the first step creates the optimizer's slots).
 *
 * @example
 * ```ts
 * memoryDrift([a, b, c]).flat; // true when c has no more tensors or bytes than a
 * ```
 */
export function memoryDrift(snapshots: readonly MemorySnapshot[]): MemoryDrift | null {
  if (snapshots.length < 2) return null;
  const start = snapshots[0]!, end = snapshots[snapshots.length - 1]!;
  const tensorDrift = end.tensors - start.tensors;
  const bytesDrift = end.bytes - start.bytes;
  const backendBytesDrift = end.backendBytes - start.backendBytes;
  return {
    steps: snapshots.length - 1,
    start,
    end,
    maxTensors: Math.max(...snapshots.map((s) => s.tensors)),
    tensorDrift,
    bytesDrift,
    backendBytesDrift,
    flat: tensorDrift <= 0 && bytesDrift <= 0 && backendBytesDrift <= 0,
    lastGrowthStep: snapshots.reduce(
      (last, s, i) => i > 0 && s.backendBytes > snapshots[i - 1]!.backendBytes ? i : last,
      0,
    ),
  };
}

/** Times `run` `warmup + steps` times; `after(i)` runs after each run, untimed. */
async function time(
  label: string,
  steps: number,
  warmup: number,
  run: () => Promise<void>,
  after: (i: number) => void = () => {},
  quiet = false,
): Promise<Timing> {
  const progress = quiet ? undefined : new Progress({
    total: warmup + steps,
    unit: "runs",
    label,
    live: false,
    everyMs: 0,
    write: (text) => Deno.stderr.writeSync(new TextEncoder().encode(text)),
  });
  const wall: number[] = [], cpu: number[] = [];
  for (let i = 0; i < warmup + steps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await run();
    const ms = performance.now() - t0;
    const c = process.cpuUsage(c0);
    if (i >= warmup) wall.push(ms), cpu.push((c.user + c.system) / 1000);
    after(i);
    progress?.tick(1, { ms: Math.round(ms) });
  }
  return { medianMs: median(wall), minMs: Math.min(...wall), cpuMs: median(cpu), runsMs: wall };
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

/** The model config `deno task bench` builds for its flags. */
export function benchModelConfig(
  model: ModelKind,
  stacks: number,
  features: number,
  size: number,
): ModelConfig {
  const override: Record<string, unknown> = { kind: model, stacks, features, inputSize: size };
  // MSSH dispatches one pre-processing scale per stack at most.
  if (model === "mssh") override.scales = Math.min(3, stacks);
  return resolveModelConfig(override);
}

/** What `runBench` measures. */
export interface BenchOptions {
  readonly model: ModelKind;
  readonly stacks: number;
  readonly features: number;
  readonly batch: number;
  readonly size: number;
  readonly backend: BackendRequest;
  /** Cores: oneDNN's threads, and the wasm pool's on plain wasm; undefined = the defaults. */
  readonly threads?: number;
  /** tfjs's wasm pool exactly this many threads; undefined = as `threads` says. */
  readonly wasmThreads?: number;
  readonly steps: number;
  readonly warmup: number;
  /** With native convolutions loaded, also time plain wasm (them switched off). */
  readonly plain?: boolean;
  /** Also profile one training step and one inference pass per kernel. */
  readonly profile?: boolean;
  /** First of all, account for one training step's memory. */
  readonly memory?: boolean;
  /** Progress lines on stderr (default true). */
  readonly progress?: boolean;
  readonly log?: (line: string) => void;
}

/**
 * Builds the model and measures it on the tfjs backend.
 *
 * @example
 * ```ts
 * const r = await runBench({ model: "hourglass", stacks: 1, features: 16, batch: 1, size: 64, backend: "wasm", steps: 2, warmup: 1 });
 * r.trainStepMs;
 * ```
 */
export async function runBench(opts: BenchOptions): Promise<BenchResult> {
  const log = opts.log ?? ((line: string) => console.error(line));
  if (opts.threads !== undefined) {
    // initBackend lowers the wasm default to 1 when oneDNN loads, so N reaches the wasm pool
    // only on plain wasm.
    setWasmThreadsDefault(opts.threads);
    setNativeThreads(opts.threads);
  }
  if (opts.wasmThreads !== undefined) setWasmThreads(opts.wasmThreads);
  const choice = await initBackend(opts.backend, log);
  // Like `deno task train`: stop with one line when a step cannot fit the backend's memory.
  await checkStepFits({
    model: benchModelConfig(opts.model, opts.stacks, opts.features, opts.size),
    batchSize: opts.batch,
    loss: paperLoss(opts.model),
    log,
  });
  const loadStart = loadAverage();
  const net = buildModel(benchModelConfig(opts.model, opts.stacks, opts.features, opts.size), {
    seed: 1,
  });
  const params = countParams(net);
  log(formatSummary(summarizeModel(net)));
  const batch = syntheticBatch(net, opts.batch);
  // The optimizer is made here so that --memory's step creates its slots.
  const optimizer = makeOptimizer(optimizerDefaults);
  const lossCfg = paperLoss(opts.model);
  let stepMemory: StepMemory | undefined;
  if (opts.memory) {
    // Before anything else: the wasm heap only grows, so its size now is this step's mark.
    try {
      stepMemory = await measureStepMemory(net, optimizer, batch, lossCfg);
      log(formatStepMemory(stepMemory));
    } catch (e) {
      log(`--memory: the step failed on ${choice.backend}: ${(e as Error).message}`);
    }
  }

  const infer = async () => {
    const heatmaps = tf.tidy(() => forward(net, batch.images, false).final);
    await heatmaps.data();
    heatmaps.dispose();
  };
  const quiet = opts.progress === false;
  const inferTime = await time("inference", opts.steps, opts.warmup, infer, () => {}, quiet);

  // The training default (RMSprop 2.5e-4, decay 0.99, as PyTorch's RMSprop), made above.
  const train = async () => void (await trainStep(net, optimizer, batch, lossCfg));
  let trainTime: Timing | undefined;
  let trainError: string | undefined;
  const snapshots: MemorySnapshot[] = [];
  try {
    trainTime = await time("train step", opts.steps, opts.warmup, train, () => {
      snapshots.push(memorySnapshot());
    }, quiet);
  } catch (e) {
    trainError = e instanceof Error ? e.message : String(e);
    log(`train step failed on ${choice.backend}: ${trainError}`);
  }
  let plain: PlainTimes | undefined;
  if (opts.plain && choice.native?.loaded) {
    setNativeKernelsEnabled(false);
    try {
      const pInfer = await time(
        "inference, plain wasm",
        opts.steps,
        opts.warmup,
        infer,
        () => {},
        quiet,
      );
      const pTrain = trainError === undefined
        ? await time("train step, plain wasm", opts.steps, opts.warmup, train, () => {}, quiet)
        : undefined;
      const r1 = (v: number) => Math.round(v * 10) / 10;
      plain = {
        trainStepMs: pTrain ? r1(pTrain.medianMs) : null,
        trainStepMinMs: pTrain ? r1(pTrain.minMs) : null,
        trainStepCpuMs: pTrain ? r1(pTrain.cpuMs) : null,
        inferMs: r1(pInfer.medianMs),
        inferMinMs: r1(pInfer.minMs),
        inferCpuMs: r1(pInfer.cpuMs),
      };
    } finally {
      setNativeKernelsEnabled(true);
    }
  }
  const loadEnd = loadAverage();
  const peak = await peakMemory(trainError === undefined ? train : infer);
  let profile: BenchResult["profile"];
  if (opts.profile) {
    const prof = (fn: () => Promise<void>) =>
      choice.backend === "webgpu"
        ? profileWithBackendTimer(fn)
        : profileKernels(choice.backend, fn);
    const trainProfile = trainError === undefined ? await prof(train) : undefined;
    const inferProfile = await prof(infer);
    if (trainProfile) log(formatProfile("train step", trainProfile));
    log(formatProfile("inference", inferProfile));
    profile = { ...(trainProfile ? { train: trainProfile } : {}), infer: inferProfile };
  }
  tf.dispose(batch);
  optimizer.dispose();
  net.graph.dispose();

  const round = (v: number) => Math.round(v * 10) / 10;
  return {
    model: opts.model,
    backend: choice.backend,
    threads: choice.backend === "wasm"
      ? wasmThreadCount() ?? 1
      : choice.backend === "cpu"
      ? 1
      : null,
    nativeThreads: choice.native?.loaded ? choice.native.threads : null,
    stacks: opts.stacks,
    features: opts.features,
    batch: opts.batch,
    size: opts.size,
    params,
    trainStepMs: trainTime ? round(trainTime.medianMs) : null,
    trainStepMinMs: trainTime ? round(trainTime.minMs) : null,
    trainStepCpuMs: trainTime ? round(trainTime.cpuMs) : null,
    ...(trainError === undefined ? {} : { trainError }),
    inferMs: round(inferTime.medianMs),
    inferMinMs: round(inferTime.minMs),
    inferCpuMs: round(inferTime.cpuMs),
    samplesPerSec: trainTime ? round(opts.batch / (trainTime.medianMs / 1000)) : null,
    inferSamplesPerSec: round(opts.batch / (inferTime.medianMs / 1000)),
    peakTensors: peak.tensors,
    peakBytes: peak.bytes,
    memory: memoryDrift(snapshots),
    steps: opts.steps,
    warmup: opts.warmup,
    load: [+loadStart.toFixed(2), +loadEnd.toFixed(2)],
    ...(profile ? { profile } : {}),
    ...(choice.native ? { native: describeNative(choice.native) } : {}),
    ...(plain ? { plain } : {}),
    ...(stepMemory ? { stepMemory } : {}),
  };
}

/**
 * Measures the data pipeline at the benchmark's size and batch (training augmentation), and
 * compares it with what the training step consumes.
 *
 * @example
 * ```ts
 * const d = await compareData(128, 4, 1000);
 * d.ratio; // pipeline samples/s over the step's samples/s
 * ```
 */
export async function compareData(
  size: number,
  batch: number,
  trainStepMs: number,
  batches = Math.max(6, Math.ceil(48 / batch)),
): Promise<DataComparison> {
  const idle = await benchPipeline({ inputSize: size, batchSize: batch, batches });
  // A busy consumer for as long as a training step: does the pipeline keep up while training?
  const busy = await benchPipeline({
    inputSize: size,
    batchSize: batch,
    batches: Math.min(batches, 6),
    consumerMs: trainStepMs,
  });
  const consumedPerSec = batch / (trainStepMs / 1000);
  return {
    ...idle,
    consumedPerSec,
    ratio: idle.samplesPerSecond / consumedPerSec,
    busyWaitMsPerBatch: busy.waitMsPerBatch,
  };
}

/**
 * Adds the PyTorch twin's numbers and the ratios to a result.
 *
 * @example
 * ```ts
 * withTorch(result, torchResult).trainRatio; // tfjs ms / PyTorch ms
 * ```
 */
export function withTorch(r: BenchResult, t: TorchResult): Partial<BenchReport> {
  const ratio = (a: number | null, b: number) => (a === null ? null : +(a / b).toFixed(2));
  return {
    torch: t,
    trainRatio: ratio(r.trainStepMs, t.trainStepMs),
    trainMinRatio: ratio(r.trainStepMinMs, t.trainStepMinMs),
    inferRatio: ratio(r.inferMs, t.inferMs)!,
    inferMinRatio: ratio(r.inferMinMs, t.inferMinMs)!,
    paramsMatch: r.params === t.params,
  };
}

/**
 * A training step's memory on top of what was alive before it: the wasm heap's live
 * allocations at their peak, else the engine's tensor bytes at their peak.
 *
 * @example
 * ```ts
 * stepPeakBytes(report.stepMemory!); // bytes
 * ```
 */
export function stepPeakBytes(m: StepMemory): number {
  return Math.max(m.mallocPeak ?? 0, m.peakTensorBytes);
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/**
 * The report as a side-by-side table.
 *
 * @example
 * ```ts
 * console.log(formatReport(report));
 * ```
 */
export function formatReport(r: BenchReport): string {
  const ms = (v: number | null | undefined) => (v == null ? "n/a" : `${v.toFixed(1)} ms`);
  const x = (v: number | null | undefined) => (v == null ? "" : `${v.toFixed(2)}x`);
  const threads = r.threads === null ? "" : ` (${r.threads} thread${r.threads === 1 ? "" : "s"})`;
  const nativeName = r.native && !r.native.startsWith("no native") ? ` + ${r.native}` : "";
  const t = r.torch;
  const torchName = t
    ? `PyTorch ${t.torch} ${t.device}${
      t.device === "cpu" ? ` (${t.threads} thread${t.threads === 1 ? "" : "s"})` : ""
    }`
    : "";
  const rows: [string, string, string, string][] = [
    ["", `tfjs ${r.backend}${threads}${nativeName}`, torchName, t ? "ratio" : ""],
    [
      "parameters",
      r.params.toLocaleString("en"),
      t ? t.params.toLocaleString("en") : "",
      t ? (r.paramsMatch ? "same" : "DIFFER") : "",
    ],
    ["train step, median", ms(r.trainStepMs), t ? ms(t.trainStepMs) : "", x(r.trainRatio)],
    ["train step, min", ms(r.trainStepMinMs), t ? ms(t.trainStepMinMs) : "", x(r.trainMinRatio)],
    [
      "train step, CPU time",
      ms(r.trainStepCpuMs),
      t ? ms(t.trainStepCpuMs) : "",
      t && r.trainStepCpuMs !== null ? x(r.trainStepCpuMs / t.trainStepCpuMs) : "",
    ],
    ["inference, median", ms(r.inferMs), t ? ms(t.inferMs) : "", x(r.inferRatio)],
    ["inference, min", ms(r.inferMinMs), t ? ms(t.inferMinMs) : "", x(r.inferMinRatio)],
    [
      "inference, CPU time",
      ms(r.inferCpuMs),
      t ? ms(t.inferCpuMs) : "",
      t ? x(r.inferCpuMs / t.inferCpuMs) : "",
    ],
    [
      "train samples/s",
      r.samplesPerSec === null ? "n/a" : r.samplesPerSec.toFixed(1),
      t ? (r.batch / (t.trainStepMs / 1000)).toFixed(1) : "",
      "",
    ],
    ["peak tensors", `${r.peakTensors} (${mib(r.peakBytes)})`, "", ""],
  ];
  const sm = r.stepMemory;
  if (sm || t?.trainPeakOverBytes !== undefined) {
    // What a training step adds to what was held before it: the kit's live allocations (wasm
    // heap, or tensor bytes on other backends) against PyTorch's resident-set growth.
    const kit = sm ? stepPeakBytes(sm) : undefined;
    const torchBytes = t?.cudaMaxAllocatedBytes ?? t?.trainPeakOverBytes;
    rows.push([
      "train step peak memory",
      kit === undefined ? "n/a" : mib(kit),
      torchBytes === undefined ? "" : mib(torchBytes),
      kit !== undefined && torchBytes ? x(kit / torchBytes) : "",
    ]);
  }
  const p = r.plain;
  if (p) {
    const over = (a: number | null, b: number | undefined) =>
      a === null || b === undefined ? "" : x(a / b);
    rows.push(
      [
        "plain wasm: train, median",
        ms(p.trainStepMs),
        t ? ms(t.trainStepMs) : "",
        over(p.trainStepMs, t?.trainStepMs),
      ],
      [
        "plain wasm: train, min",
        ms(p.trainStepMinMs),
        t ? ms(t.trainStepMinMs) : "",
        over(p.trainStepMinMs, t?.trainStepMinMs),
      ],
      ["plain wasm: train, CPU time", ms(p.trainStepCpuMs), t ? ms(t.trainStepCpuMs) : "", ""],
      [
        "plain wasm: inference, median",
        ms(p.inferMs),
        t ? ms(t.inferMs) : "",
        over(p.inferMs, t?.inferMs),
      ],
      [
        "plain wasm: inference, min",
        ms(p.inferMinMs),
        t ? ms(t.inferMinMs) : "",
        over(p.inferMinMs, t?.inferMinMs),
      ],
    );
  }
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((row) => row[c]!.length)));
  const lines = [
    `${r.model} ${r.stacks} stacks x ${r.features} features, batch ${r.batch}, ${r.size}x${r.size}` +
    ` - ${r.date}, load ${r.load[0]} -> ${r.load[1]}` +
    (t ? ` (PyTorch: ${t.load[0]} -> ${t.load[1]})` : ""),
    ...rows.map((row) => row.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join("   ").trimEnd()),
  ];
  if (r.trainError) lines.push(`train step failed: ${r.trainError}`);
  if (r.torchSkipped) lines.push(`PyTorch skipped: ${r.torchSkipped}`);
  const m = r.memory;
  if (m) {
    const heap = r.backend === "wasm" ? "wasm heap" : r.backend === "webgpu" ? "GPU pool" : "bytes";
    lines.push(
      `memory over ${m.steps} training steps: tensors ${m.start.tensors} -> ${m.end.tensors} ` +
        `(max ${m.maxTensors}), tensor bytes ${mib(m.start.bytes)} -> ${mib(m.end.bytes)}, ` +
        `${heap} ${mib(m.start.backendBytes)} -> ${mib(m.end.backendBytes)}: ` +
        (m.flat
          ? "flat"
          : m.tensorDrift <= 0 && m.bytesDrift <= 0
          ? `GROWS (last at step ${m.lastGrowthStep + 1}, then flat for ${
            m.steps - m.lastGrowthStep
          } steps)`
          : "GROWS"),
    );
  }
  const d = r.data;
  if (d) {
    lines.push(
      `data pipeline ${d.inputSize}px, batch ${d.batchSize}, ${d.workers} worker(s), augmented: ` +
        `${d.samplesPerSecond.toFixed(1)} samples/s = ${d.ratio.toFixed(1)}x the training ` +
        `step's ${d.consumedPerSec.toFixed(1)} samples/s (target >= 4x); with the main thread ` +
        `busy for one step per batch, training waited ${d.busyWaitMsPerBatch.toFixed(1)} ms ` +
        `per batch`,
    );
  }
  return lines.join("\n");
}

async function main(args: readonly string[]): Promise<void> {
  const flags = parseFlags(args, {
    string: [
      "model",
      "stacks",
      "features",
      "batch",
      "size",
      "backend",
      "threads",
      "wasm-threads",
      "steps",
      "warmup",
      "torch-device",
    ],
    boolean: ["json", "torch", "data", "profile", "plain", "memory"],
  }, USAGE);
  const size = numberFlag(flags, "size", 128, { min: 64, integer: true });
  if (size % 64) {
    throw new KitError(
      `--size must be a multiple of 64 (the stem and hourglass halve it 6 times); got ${size}`,
    );
  }
  const threads = flags.threads === undefined
    ? undefined
    : numberFlag(flags, "threads", 1, { min: 1, max: MAX_WASM_THREADS, integer: true });
  const wasmThreads = flags["wasm-threads"] === undefined
    ? undefined
    : numberFlag(flags, "wasm-threads", 1, { min: 1, max: MAX_WASM_THREADS, integer: true });
  const torchDevice = String(flags["torch-device"] ?? "cpu");
  if (!/^(cpu|cuda(:\d+)?)$/.test(torchDevice)) {
    throw new KitError(`--torch-device must be cpu, cuda or cuda:N; got "${torchDevice}"`);
  }
  const opts: BenchOptions = {
    model: choiceFlag(flags, "model", MODEL_KINDS, "hourglass"),
    stacks: numberFlag(flags, "stacks", 2, { min: 1, integer: true }),
    features: numberFlag(flags, "features", 64, { min: 2, integer: true }),
    batch: numberFlag(flags, "batch", 4, { min: 1, integer: true }),
    size,
    backend: choiceFlag(flags, "backend", BACKEND_CHOICES, "auto"),
    threads,
    wasmThreads,
    steps: numberFlag(flags, "steps", 5, { min: 1, integer: true }),
    warmup: numberFlag(flags, "warmup", 2, { min: 0, integer: true }),
    profile: flags.profile === true,
    plain: flags.plain === true,
    memory: flags.memory === true,
  };
  // Fail on a bad model config before spending minutes measuring.
  const config = benchModelConfig(opts.model, opts.stacks, opts.features, opts.size);
  const date = new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC";
  const result = await runBench(opts);
  let report: BenchReport = { ...result, date };

  if (flags.torch) {
    const found = await findTorchPython();
    if ("skipped" in found) {
      report = { ...report, torchSkipped: found.skipped };
    } else {
      console.error(`PyTorch ${found.torch} (${found.python}) on ${torchDevice}...`);
      try {
        const t = await runTorchTwin(config, {
          python: found.python,
          batch: opts.batch,
          // As many cores as the kit's heavy kernels had.
          threads: threads ?? result.nativeThreads ?? result.threads ?? 1,
          device: torchDevice,
          steps: opts.steps,
          warmup: opts.warmup,
        });
        report = { ...report, ...withTorch(result, t) };
      } catch (e) {
        report = { ...report, torchSkipped: (e as Error).message };
      }
    }
  }
  if (flags.data) {
    if (result.trainStepMs === null) {
      console.error("--data: no training step time to compare the pipeline with");
    } else {
      console.error("data pipeline...");
      report = { ...report, data: await compareData(opts.size, opts.batch, result.trainStepMs) };
    }
  }

  const table = formatReport(report);
  if (flags.json) {
    console.error(table);
    // The JSON keeps each profile's 25 slowest kernels.
    const top = (p: KernelProfile | undefined) =>
      p ? { ...p, kernels: p.kernels.slice(0, 25) } : undefined;
    const profile = report.profile
      ? { train: top(report.profile.train), infer: top(report.profile.infer) }
      : undefined;
    console.log(JSON.stringify({ ...report, ...(profile ? { profile } : {}) }));
  } else {
    console.log(table);
  }
}

if (import.meta.main) {
  await runMain(() => main(Deno.args));
}
