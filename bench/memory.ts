/**
 * `deno task bench --memory`: where one training step's memory goes.
 *
 * The step is run once with hooks on tfjs's engine and, on wasm, on the heap allocator:
 *
 * - every data buffer the engine tracks (`trackTensor` / `removeDataId`) is tagged with the
 *   kind of layer whose `call` created it (convolution, batch norm, ReLU, residual add,
 *   upsampling, pooling, ...), "loss" for the rest of the forward pass and "backward" after it;
 *   at the end of the forward pass (when the tape holds everything the backward pass will
 *   read) the live buffers are summed per kind, and the ones the tape saved (`keep`-ed clones)
 *   are counted apart;
 * - weights, optimizer state (RMSprop's two slots per weight) and the batch are the buffers
 *   alive before the step;
 * - on wasm, `_malloc`/`_free` are counted: the live-allocation peak of the step and, per
 *   kernel, the temporaries it allocated and freed before returning (im2col buffers, phase
 *   splits, transposes of the kit's gradient kernels). oneDNN's scratchpads live outside the
 *   wasm heap: they show in the process's resident set only.
 *
 * The wasm heap never shrinks, so its size after the step in a fresh process is the step's
 * high-water mark including fragmentation: the number that has to fit wasm32's 4 GiB.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { multiScaleLoss } from "../lib/losses/multiscale.ts";
import type { LossConfig } from "../lib/losses/config.ts";
import { forward, type PoseModel } from "../lib/models/mod.ts";
import { leanVariableGrads } from "../lib/train/lean_grads.ts";
import { trainableVariables, type TrainBatch } from "../lib/train/step.ts";

/** Bytes and buffer count of one group. */
export interface MemoryGroup {
  readonly bytes: number;
  readonly buffers: number;
  /** Of those, buffers saved by the tape for the backward pass (bytes). */
  readonly savedBytes: number;
}

/** Where a training step's memory went. */
export interface StepMemory {
  readonly backend: string;
  /** Bytes of the buffers alive before the step: weights, optimizer slots, the batch. */
  readonly weightsBytes: number;
  readonly optimizerBytes: number;
  readonly batchBytes: number;
  /** Most tensor bytes (engine-tracked buffers) alive at once during the step. */
  readonly peakTensorBytes: number;
  /** Most live tensors (handles) during the step. */
  readonly peakTensors: number;
  /** Tensor bytes alive at the end of the forward pass, and of those created by the step. */
  readonly forwardEndBytes: number;
  readonly forwardEndTensors: number;
  /** Buffers created by the forward pass and alive at its end, per layer kind. */
  readonly byKind: Readonly<Record<string, MemoryGroup>>;
  /** wasm only: live `_malloc` bytes before the step and their peak during it. */
  readonly mallocBefore?: number;
  readonly mallocPeak?: number;
  /** wasm only: the phase and top-level kernel running when the allocations peaked. */
  readonly peakAt?: string;
  /** wasm only: heap size before and after the step (it only grows). */
  readonly heapBefore?: number;
  readonly heapAfter?: number;
  /** Largest temporaries one call of a kernel allocated and freed inside itself (wasm). */
  readonly kernelTemps: readonly { kernel: string; bytes: number; calls: number }[];
  /** Process resident set before the step and its largest sample at kernel boundaries. */
  readonly rssBefore: number;
  readonly rssPeak: number;
}

/** Layer class names (tfjs-layers) to the kinds. */
const KINDS: Record<string, string> = {
  Conv2D: "convolution",
  BatchNormalization: "batch norm",
  ReLU: "relu",
  Activation: "relu",
  Add: "residual add",
  UpSampling2D: "upsampling",
  MaxPooling2D: "pooling",
  Concatenate: "concat",
  ZeroPadding2D: "padding",
};

interface WasmModule {
  _malloc(n: number): number;
  _free(p: number): void;
  HEAPU8: Uint8Array;
}

interface EngineInternals {
  state: {
    tensorInfo: WeakMap<object, { bytes: number }>;
    numTensors: number;
  };
  trackTensor(a: tf.Tensor, backend: unknown): void;
  removeDataId(dataId: object, backend: unknown): void;
  keep<T extends tf.Tensor>(t: T): T;
  runKernelFunc(params: { kernelName?: string }): unknown;
}

/**
 * Runs one training step (forward, loss, gradients, optimizer update: lib/train/step.ts's
 * work) with the memory hooks on and says where its memory went.
 *
 * @example
 * ```ts
 * const m = await measureStepMemory(net, optimizer, batch, lossCfg);
 * console.log(formatStepMemory(m));
 * ```
 */
export async function measureStepMemory(
  net: PoseModel,
  optimizer: tf.Optimizer,
  batch: TrainBatch,
  lossCfg: LossConfig,
): Promise<StepMemory> {
  const engine = tf.engine() as unknown as EngineInternals;
  const backendName = tf.getBackend();
  const wasm = backendName === "wasm"
    ? (tf.backend() as unknown as { wasm: WasmModule }).wasm
    : undefined;
  const vars = trainableVariables(net);
  // Slots exist after the first step: run one untracked so the measured step is a steady one.
  const steadyStep = () => {
    const { value, grads } = leanVariableGrads(() => lossOf(net, batch, lossCfg), vars);
    optimizer.applyGradients(grads);
    tf.dispose([value, grads]);
  };
  steadyStep();

  const bytesOf = (ts: readonly tf.Tensor[]) => {
    const seen = new Set<object>();
    let n = 0;
    for (const t of ts) if (!seen.has(t.dataId)) seen.add(t.dataId), n += t.size * 4;
    return n;
  };
  const weightsBytes = bytesOf(net.graph.weights.map((w) => w.read()));
  const optimizerBytes = bytesOf((await optimizer.getWeights()).map((w) => w.tensor));
  const batchBytes = bytesOf([batch.images, ...batch.targets, batch.weights]);

  // Live engine buffers created during the step, with their tag.
  const live = new Map<object, { bytes: number; kind: string; saved: boolean }>();
  let liveBytes = 0, peakBytes = 0, peakTensors = 0;
  const kindStack: string[] = [];
  let phase: "forward" | "backward" = "forward";
  const undo: (() => void)[] = [];
  const patch = <O extends object, K extends keyof O>(o: O, k: K, v: O[K]) => {
    const had = Object.prototype.hasOwnProperty.call(o, k), old = o[k];
    o[k] = v;
    undo.push(() => {
      if (had) o[k] = old;
      else delete o[k];
    });
  };
  const origTrack = engine.trackTensor.bind(engine);
  patch(engine, "trackTensor", (a: tf.Tensor, backend: unknown) => {
    const fresh = !engine.state.tensorInfo.has(a.dataId);
    origTrack(a, backend);
    if (fresh) {
      const bytes = engine.state.tensorInfo.get(a.dataId)?.bytes ?? 0;
      const kind = phase === "backward" ? "backward" : kindStack[kindStack.length - 1] ?? "loss";
      live.set(a.dataId, { bytes, kind, saved: false });
      liveBytes += bytes;
      peakBytes = Math.max(peakBytes, liveBytes);
    }
    peakTensors = Math.max(peakTensors, engine.state.numTensors);
  });
  const origRemove = engine.removeDataId.bind(engine);
  patch(engine, "removeDataId", (dataId: object, backend: unknown) => {
    origRemove(dataId, backend);
    const e = live.get(dataId);
    if (e && !engine.state.tensorInfo.has(dataId)) live.delete(dataId), liveBytes -= e.bytes;
  });
  const origKeep = engine.keep.bind(engine);
  patch(engine, "keep", <T extends tf.Tensor>(t: T): T => {
    const e = live.get(t.dataId);
    if (e && phase === "forward") e.saved = true;
    return origKeep(t);
  });
  for (const layer of net.graph.layers) {
    const l = layer as unknown as { call: (...a: unknown[]) => unknown };
    const kind = KINDS[layer.getClassName()] ?? layer.getClassName();
    const call = l.call.bind(layer);
    patch(l, "call", (...args: unknown[]) => {
      kindStack.push(kind);
      try {
        return call(...args);
      } finally {
        kindStack.pop();
      }
    });
  }
  // wasm allocations, and each top-level kernel's temporaries.
  let mallocLive = 0, mallocPeak = 0, kernelPeak = 0, depth = 0;
  let topKernel = "", peakAt = "";
  const sizes = new Map<number, number>();
  const temps = new Map<string, { bytes: number; calls: number }>();
  let rssPeak = 0;
  if (wasm) {
    const malloc = wasm._malloc.bind(wasm), free = wasm._free.bind(wasm);
    patch(wasm, "_malloc", (n: number) => {
      const p = malloc(n);
      sizes.set(p >>> 0, n); // above 2 GiB the pointer comes back negative
      mallocLive += n;
      if (mallocLive > mallocPeak) mallocPeak = mallocLive, peakAt = `${phase}: ${topKernel}`;
      kernelPeak = Math.max(kernelPeak, mallocLive);
      return p;
    });
    patch(wasm, "_free", (p: number) => {
      mallocLive -= sizes.get(p >>> 0) ?? 0;
      sizes.delete(p >>> 0);
      free(p);
    });
  }
  const origRun = engine.runKernelFunc.bind(engine);
  patch(engine, "runKernelFunc", (params: { kernelName?: string }) => {
    const top = depth === 0;
    if (top) kernelPeak = mallocLive, topKernel = params.kernelName ?? "custom gradient";
    depth++;
    try {
      return origRun(params);
    } finally {
      depth--;
      if (top && wasm && params.kernelName) {
        const t = kernelPeak - mallocLive;
        const e = temps.get(params.kernelName) ?? { bytes: 0, calls: 0 };
        e.bytes = Math.max(e.bytes, t);
        e.calls++;
        temps.set(params.kernelName, e);
      }
      if (top) rssPeak = Math.max(rssPeak, Deno.memoryUsage().rss);
    }
  });

  const rssBefore = Deno.memoryUsage().rss;
  const heapBefore = wasm?.HEAPU8.length;
  // Allocations made before the hooks are unknown to them: count from here.
  const mallocBefore = 0;
  let forwardEnd:
    | { bytes: number; tensors: number; byKind: Record<string, MemoryGroup> }
    | undefined;
  try {
    const { value, grads } = leanVariableGrads(() => {
      const total = lossOf(net, batch, lossCfg);
      const byKind: Record<string, MemoryGroup> = {};
      for (const e of live.values()) {
        const g = byKind[e.kind] ?? { bytes: 0, buffers: 0, savedBytes: 0 };
        byKind[e.kind] = {
          bytes: g.bytes + e.bytes,
          buffers: g.buffers + 1,
          savedBytes: g.savedBytes + (e.saved ? e.bytes : 0),
        };
      }
      forwardEnd = { bytes: liveBytes, tensors: engine.state.numTensors, byKind };
      phase = "backward";
      return total;
    }, vars);
    optimizer.applyGradients(grads);
    tf.dispose([value, grads]);
  } finally {
    undo.reverse().forEach((u) => u());
  }
  const kernelTemps = [...temps].map(([kernel, v]) => ({ kernel, ...v }))
    .filter((k) => k.bytes > 0).sort((a, b) => b.bytes - a.bytes);
  return {
    backend: backendName,
    weightsBytes,
    optimizerBytes,
    batchBytes,
    peakTensorBytes: peakBytes,
    peakTensors,
    forwardEndBytes: forwardEnd?.bytes ?? 0,
    forwardEndTensors: forwardEnd?.tensors ?? 0,
    byKind: forwardEnd?.byKind ?? {},
    ...(wasm
      ? { mallocBefore, mallocPeak, peakAt, heapBefore, heapAfter: wasm.HEAPU8.length }
      : {}),
    kernelTemps,
    rssBefore,
    rssPeak,
  };
}

function lossOf(net: PoseModel, batch: TrainBatch, lossCfg: LossConfig): tf.Scalar {
  const out = forward(net, batch.images, true);
  const { total, parts, keypointWeights } = multiScaleLoss(
    out,
    batch.targets,
    batch.weights,
    lossCfg,
  );
  tf.dispose([...parts.map((p) => p.loss), keypointWeights]);
  return total;
}

const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

/**
 * The accounting as lines of text.
 *
 * @example
 * ```ts
 * console.log(formatStepMemory(await measureStepMemory(net, optimizer, batch, lossCfg)));
 * ```
 */
export function formatStepMemory(m: StepMemory): string {
  const lines = [
    `memory of one training step on ${m.backend}:`,
    `  before the step: weights ${mib(m.weightsBytes)}, optimizer state ${
      mib(m.optimizerBytes)
    }, batch ${mib(m.batchBytes)}`,
    `  tensor peak during the step ${mib(m.peakTensorBytes)} over those, ${m.peakTensors} live ` +
    `tensors at most; at the end of the forward pass ${mib(m.forwardEndBytes)} ` +
    `(${m.forwardEndTensors} tensors)`,
    `  kept from the forward pass for the backward pass, by layer kind ` +
    `(bytes, buffers, of which saved by the tape):`,
  ];
  const kinds = Object.entries(m.byKind).sort((a, b) => b[1].bytes - a[1].bytes);
  for (const [kind, g] of kinds) {
    lines.push(
      `    ${kind.padEnd(14)} ${mib(g.bytes).padStart(11)} ${String(g.buffers).padStart(6)} ` +
        `buffers, saved ${mib(g.savedBytes)}`,
    );
  }
  if (m.mallocPeak !== undefined) {
    lines.push(
      `  wasm allocations: peak ${mib(m.mallocPeak)} over the live ones before the step ` +
        `(in ${m.peakAt}); ` +
        `heap ${mib(m.heapBefore!)} -> ${mib(m.heapAfter!)}`,
    );
  }
  if (m.kernelTemps.length) {
    lines.push(`  largest temporaries inside one kernel call (wasm heap):`);
    for (const k of m.kernelTemps.slice(0, 8)) {
      lines.push(`    ${k.kernel.padEnd(28)} ${mib(k.bytes).padStart(11)} (${k.calls} calls)`);
    }
  }
  lines.push(
    `  process resident set ${mib(m.rssBefore)} before, ${mib(m.rssPeak)} at most ` +
      `(sampled after each kernel; includes oneDNN's scratchpads)`,
  );
  return lines.join("\n");
}
