/**
 * What a WebGPU training step costs the host: readbacks (GPU to host copies, each a stall until
 * the device drains its queue), buffer-pool growth, and compute dispatches per kernel. Used by
 * bench/webgpu_profile.ts.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { webGpuRawDispatches } from "../lib/backend/webgpu_kernels.ts";

/** The parts of tfjs-backend-webgpu's backend these counters watch. */
export interface WebGpuInternals {
  supportTimestampQuery: boolean;
  bufferManager: { numBytesAllocated: number; numUsedBuffers: number; numFreeBuffers: number };
  getBufferData(buffer: GPUBuffer): Promise<ArrayBuffer>;
  readSync(dataId: unknown): unknown;
  runWebGPUProgram(...args: unknown[]): unknown;
}

/** The host's cost of one step (or of one interval of steps). */
export interface HostCost {
  /** GPU to host copies (`getBufferData` and `readSync`). */
  readonly readbacks: number;
  /** Buffers and bytes the pool gained. */
  readonly newBuffers: number;
  readonly newBytes: number;
  /** After the step: the pool's bytes, tfjs's numBytesInGPU (bytes in use), live tensors. */
  readonly poolBytes: number;
  readonly bytesInUse: number;
  readonly tensors: number;
}

/**
 * Counts GPU to host copies (the backend's `getBufferData` and `readSync`) from now until
 * `restore()`, which puts the backend's own methods back.
 *
 * @example
 * ```ts
 * const counter = countReadbacks(tf.backend() as never);
 * await step();
 * counter.count; // readbacks during the step
 * counter.restore();
 * ```
 */
export function countReadbacks(
  backend: Pick<WebGpuInternals, "getBufferData" | "readSync">,
): { count: number; restore(): void } {
  const { getBufferData, readSync } = backend;
  const counter = {
    count: 0,
    restore() {
      backend.getBufferData = getBufferData;
      backend.readSync = readSync;
    },
  };
  backend.getBufferData = function (buffer) {
    counter.count++;
    return getBufferData.call(this, buffer);
  };
  backend.readSync = function (dataId) {
    counter.count++;
    return readSync.call(this, dataId);
  };
  return counter;
}

/**
 * Runs `step` `steps` times and returns the readbacks and pool growth of each run.
 *
 * @example
 * ```ts
 * const perStep = await hostCost(tf.backend() as never, step, 3);
 * ```
 */
export async function hostCost(
  backend: WebGpuInternals,
  step: (i: number) => Promise<void>,
  steps: number,
): Promise<HostCost[]> {
  const readbacks = countReadbacks(backend);
  const pool = () => backend.bufferManager.numUsedBuffers + backend.bufferManager.numFreeBuffers;
  const perStep: HostCost[] = [];
  try {
    for (let i = 0; i < steps; i++) {
      const before = { bytes: backend.bufferManager.numBytesAllocated, buffers: pool() };
      readbacks.count = 0;
      await step(i);
      const memory = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number };
      perStep.push({
        readbacks: readbacks.count,
        newBuffers: pool() - before.buffers,
        newBytes: backend.bufferManager.numBytesAllocated - before.bytes,
        poolBytes: backend.bufferManager.numBytesAllocated,
        bytesInUse: memory.numBytesInGPU ?? 0,
        tensors: memory.numTensors,
      });
    }
  } finally {
    readbacks.restore();
  }
  return perStep;
}

/**
 * Runs `fn` once and counts the compute dispatches (`runWebGPUProgram` calls) under each
 * registered webgpu kernel (the innermost one running; outside kernels, the program's class),
 * plus the kit's own raw dispatches (`webGpuRawDispatches`), most first.
 *
 * @example
 * ```ts
 * const { total, kernels } = await dispatchCounts(tf.backend() as never, step);
 * ```
 */
export async function dispatchCounts(
  backend: WebGpuInternals,
  fn: () => Promise<void>,
): Promise<{ total: number; kernels: { kernel: string; calls: number; dispatches: number }[] }> {
  const counts = new Map<string, { calls: number; dispatches: number }>();
  const stack: string[] = [];
  const undo: (() => void)[] = [];
  for (const config of tf.getKernelsForBackend("webgpu")) {
    const original = config.kernelFunc;
    const name = config.kernelName;
    const patched = config as { kernelFunc: tf.KernelFunc };
    patched.kernelFunc = (args) => {
      stack.push(name);
      const entry = counts.get(name) ?? { calls: 0, dispatches: 0 };
      entry.calls++;
      counts.set(name, entry);
      try {
        return original(args);
      } finally {
        stack.pop();
      }
    };
    undo.push(() => (patched.kernelFunc = original));
  }
  const run = backend.runWebGPUProgram;
  let total = 0;
  backend.runWebGPUProgram = function (...args) {
    total++;
    const program = args[0] as { constructor: { name: string } };
    const name = stack.at(-1) ?? `${program.constructor.name} (no kernel)`;
    const entry = counts.get(name) ?? { calls: 0, dispatches: 0 };
    entry.dispatches++;
    counts.set(name, entry);
    return run.apply(this, args);
  };
  const rawBefore = webGpuRawDispatches();
  try {
    await fn();
  } finally {
    for (const [name, n] of Object.entries(webGpuRawDispatches())) {
      const added = n - (rawBefore[name] ?? 0);
      if (added === 0) continue;
      total += added;
      counts.set(`${name} (kit, raw)`, { calls: 1, dispatches: added });
    }
    backend.runWebGPUProgram = run;
    undo.forEach((u) => u());
  }
  const kernels = [...counts].map(([kernel, c]) => ({ kernel, ...c }))
    .filter((k) => k.dispatches > 0)
    .sort((p, q) => q.dispatches - p.dispatches);
  return { total, kernels };
}

/**
 * The dispatch table as text: kernel, calls, dispatches, share of all dispatches.
 *
 * @example
 * ```ts
 * console.log(formatDispatches(await dispatchCounts(backend, step), 20));
 * ```
 */
export function formatDispatches(
  d: { total: number; kernels: readonly { kernel: string; calls: number; dispatches: number }[] },
  rows: number,
): string {
  const lines = [
    `dispatches per step: ${d.total}`,
    "kernel                          calls  dispatches",
  ];
  for (const k of d.kernels.slice(0, rows)) {
    const share = (100 * k.dispatches / Math.max(d.total, 1)).toFixed(1);
    lines.push(
      `${k.kernel.padEnd(30)} ${String(k.calls).padStart(6)} ${String(k.dispatches).padStart(11)}` +
        `  ${share.padStart(5)}%`,
    );
  }
  return lines.join("\n");
}
