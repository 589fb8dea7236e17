/**
 * Per-kernel timing for the benchmarks: wraps every registered kernel of a backend with a timer
 * and reports where one run's time went, nested kernels shown as `Outer > Inner` (the kit's
 * composed wasm kernels call other kernels).
 *
 * Times are wall-clock around the kernel function, so they are exact on the synchronous CPU
 * backends (wasm, cpu) and only measure dispatch on WebGPU (use its own timer there).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";

/** Time and calls of one kernel (or `Outer > Inner` pair). */
export interface KernelTime {
  readonly kernel: string;
  readonly ms: number;
  readonly calls: number;
}

/** One profiled run. */
export interface KernelProfile {
  /** Wall time of the run. */
  readonly wallMs: number;
  /** Time inside top-level kernels (the rest is tfjs's own JavaScript and the caller's). */
  readonly inKernelsMs: number;
  /** Top-level kernel calls. */
  readonly calls: number;
  /** Slowest first. */
  readonly kernels: readonly KernelTime[];
}

/**
 * Runs `fn` once with every kernel of `backend` timed.
 *
 * @example
 * ```ts
 * const p = await profileKernels("wasm", async () => void (await trainStep(net, opt, batch, loss)));
 * console.log(formatProfile("train step", p));
 * ```
 */
export async function profileKernels(
  backend: string,
  fn: () => Promise<void>,
): Promise<KernelProfile> {
  const total = new Map<string, { ms: number; calls: number }>();
  const stack: string[] = [];
  const undo: (() => void)[] = [];
  for (const config of tf.getKernelsForBackend(backend)) {
    const original = config.kernelFunc;
    const name = config.kernelName;
    const patched = config as { kernelFunc: tf.KernelFunc };
    patched.kernelFunc = (args) => {
      const key = stack.length ? `${stack[stack.length - 1]} > ${name}` : name;
      stack.push(name);
      const t0 = performance.now();
      try {
        return original(args);
      } finally {
        const dt = performance.now() - t0;
        stack.pop();
        const entry = total.get(key) ?? { ms: 0, calls: 0 };
        entry.ms += dt;
        entry.calls++;
        total.set(key, entry);
      }
    };
    undo.push(() => (patched.kernelFunc = original));
  }
  const t0 = performance.now();
  try {
    await fn();
  } finally {
    undo.forEach((u) => u());
  }
  const wallMs = performance.now() - t0;
  const kernels = [...total].map(([kernel, v]) => ({ kernel, ...v })).sort((p, q) => q.ms - p.ms);
  const top = kernels.filter((k) => !k.kernel.includes(" > "));
  return {
    wallMs,
    inKernelsMs: top.reduce((s, k) => s + k.ms, 0),
    calls: top.reduce((s, k) => s + k.calls, 0),
    kernels,
  };
}

/**
 * A profile as a table, slowest kernels first.
 *
 * @example
 * ```ts
 * console.log(formatProfile("train step", profile, 30));
 * ```
 */
export function formatProfile(label: string, p: KernelProfile, rows = 40): string {
  const lines = [
    `${label}: wall ${p.wallMs.toFixed(0)} ms, in kernels ${p.inKernelsMs.toFixed(0)} ms, ` +
    `${p.calls} kernel calls`,
  ];
  for (const k of p.kernels.slice(0, rows)) {
    lines.push(`${k.ms.toFixed(1).padStart(9)} ms ${String(k.calls).padStart(6)}x  ${k.kernel}`);
  }
  return lines.join("\n");
}

/**
 * Per-kernel times from tfjs's own profiler (`tf.profile`), which times each kernel with the
 * backend's timer: GPU timestamp queries on WebGPU when the adapter has them. Use this on
 * WebGPU, where wall-clock around a kernel function only measures its dispatch. Kernels that
 * report no time are counted with 0 ms.
 *
 * @example
 * ```ts
 * const p = await profileWithBackendTimer(async () => void (await trainStep(net, opt, batch, loss)));
 * ```
 */
export async function profileWithBackendTimer(fn: () => Promise<void>): Promise<KernelProfile> {
  const t0 = performance.now();
  const info = await tf.profile(fn);
  const wallMs = performance.now() - t0;
  const total = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    const entry = total.get(k.name) ?? { ms: 0, calls: 0 };
    entry.ms += typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0;
    entry.calls++;
    total.set(k.name, entry);
  }
  const kernels = [...total].map(([kernel, v]) => ({ kernel, ...v })).sort((p, q) => q.ms - p.ms);
  return {
    wallMs,
    inKernelsMs: kernels.reduce((s, k) => s + k.ms, 0),
    calls: info.kernels.length,
    kernels,
  };
}
