/**
 * Native convolutions for the wasm backend: oneDNN (the library PyTorch's CPU convolutions use)
 * through Deno FFI, working in place on the wasm heap (native_dnnl.ts, native_conv.ts).
 *
 * The wasm backend's convolutions are XNNPACK's 128-bit wasm SIMD; oneDNN runs AVX-512/AVX2
 * machine code on the same buffers (a 3x3, 64-channel convolution at batch 4, 64x64: about 5x
 * faster forward on one core, bench/RESULTS.md). When `libdnnl.so.2` is absent (Debian/Ubuntu
 * package `libdnnl2`), or `KIT_NATIVE=0`, the kit runs on plain wasm as before, and the start
 * line says how to install it.
 *
 * Threads: oneDNN's OpenMP pool, `setNativeThreads(n)` before the backend starts, else
 * `$KIT_NATIVE_THREADS`, else all logical cores (large convolutions scale; the pool sleeps
 * between them: `OMP_WAIT_POLICY=PASSIVE` unless the user set it).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { KitError } from "../io/errors.ts";
import { Dnnl, DNNL_LIBRARY, DNNL_PACKAGE } from "./native_dnnl.ts";
import { makeNativeFusedBatchNorm } from "./native_bnorm.ts";
import { registerNativeBatchNormTraining } from "./native_bnorm_train.ts";
import { registerNativeMovingAverages } from "./native_bnorm_moving.ts";
import { setOmpThreads } from "./native_omp.ts";
import {
  ConvCache,
  countNativeCall,
  makeNativeConv2D,
  makeNativeConv2DBackpropFilter,
  makeNativeConv2DBackpropInput,
} from "./native_conv.ts";

/** What the native path is: loaded (library, version, threads) or why not. */
export type NativeStatus =
  | { readonly loaded: true; readonly library: string; readonly threads: number | null }
  | { readonly loaded: false; readonly reason: string; readonly hint: string };

/**
 * Kernels the native path replaces on the wasm backend (the replaced ones stay as fallbacks).
 *
 * @example
 * ```ts
 * NATIVE_KERNELS.includes("Conv2DBackpropFilter"); // true
 * ```
 */
export const NATIVE_KERNELS = [
  "Conv2D",
  "FusedConv2D",
  "Conv2DBackpropInput",
  "Conv2DBackpropFilter",
  "FusedBatchNorm",
] as const;

let status: NativeStatus | undefined;
let cache: ConvCache | undefined;
let enabled = true;
let registered = false;
let requestedThreads: number | undefined;

/**
 * Asks for `n` native threads. Takes effect when the native library loads (before the backend
 * starts) or, if it is loaded, at once (its convolutions are rebuilt for the new count).
 *
 * @example
 * ```ts
 * setNativeThreads(2);
 * ```
 */
export function setNativeThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > 256) {
    throw new KitError(`native threads must be an integer from 1 to 256, got ${n}`);
  }
  requestedThreads = n;
  if (status?.loaded && cache) {
    const threads = setOmpThreads(n) ? n : null;
    status = { ...status, threads };
    cache = new ConvCache(dnnlInstance!);
  }
}

function wantedThreads(): number {
  if (requestedThreads !== undefined) return requestedThreads;
  const env = Deno.env.get("KIT_NATIVE_THREADS");
  if (env !== undefined && env !== "") {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 1) {
      throw new KitError(`KIT_NATIVE_THREADS must be a positive integer, got "${env}"`);
    }
    return n;
  }
  return navigator.hardwareConcurrency || 1;
}

let dnnlInstance: Dnnl | undefined;

/**
 * Loads the native library once and says what happened; never throws for a missing library.
 *
 * @example
 * ```ts
 * const s = loadNative();
 * if (!s.loaded) console.log(s.hint); // "apt-get install libdnnl2 ..."
 * ```
 */
export function loadNative(): NativeStatus {
  if (status) return status;
  const hint = `install oneDNN for native CPU convolutions (3-5x faster training): ` +
    `apt-get install ${DNNL_PACKAGE}`;
  if (Deno.env.get("KIT_NATIVE") === "0") {
    status = { loaded: false, reason: "KIT_NATIVE=0", hint: "unset KIT_NATIVE to use oneDNN" };
    return status;
  }
  try {
    const threads = wantedThreads();
    // OpenMP's threads spin after each parallel region by default. Beside tfjs's own wasm
    // thread pool (which spins too) and other processes, that made a 2-thread training step
    // 9x slower on a busy 2-core machine (CPU time 4.6 s against 0.75 s passive,
    // bench/RESULTS.md). libgomp reads this when it loads, just below.
    if (Deno.env.get("OMP_WAIT_POLICY") === undefined) Deno.env.set("OMP_WAIT_POLICY", "PASSIVE");
    // Before the library starts its OpenMP pool.
    const threadsSet = setOmpThreads(threads);
    dnnlInstance = Dnnl.open();
    cache = new ConvCache(dnnlInstance);
    status = {
      loaded: true,
      library: `oneDNN ${dnnlInstance.version}`,
      threads: threadsSet ? threads : null,
    };
  } catch (e) {
    const message = (e as Error).message ?? String(e);
    const reason = /cannot open|No such file|not found/i.test(message)
      ? `${DNNL_LIBRARY} not found`
      : message;
    status = { loaded: false, reason, hint };
  }
  return status;
}

/**
 * The native path's part of the start line, e.g. "oneDNN 2.6.3, 2 threads", or why it is off.
 *
 * @example
 * ```ts
 * describeNative({ loaded: true, library: "oneDNN 2.6.3", threads: 2 }); // "oneDNN 2.6.3, 2 threads"
 * ```
 */
export function describeNative(s: NativeStatus): string {
  if (!s.loaded) return `no native convolutions (${s.reason}; ${s.hint})`;
  const threads = s.threads === null ? "" : `, ${s.threads} thread${s.threads === 1 ? "" : "s"}`;
  return `${s.library}${threads}`;
}

/**
 * Switches the native kernels on or off at run time (they then hand every call to the wasm
 * kernels they replaced). For tests and benchmarks comparing both paths.
 *
 * @example
 * ```ts
 * setNativeKernelsEnabled(false); // plain wasm from the next kernel call on
 * ```
 */
export function setNativeKernelsEnabled(on: boolean): void {
  enabled = on;
}

/**
 * Loads the native library and, when it loaded, registers the native convolutions on the wasm
 * backend over the kernels registered there now (call after registerWasmTrainingKernels).
 * Returns the status either way. Safe to call repeatedly.
 *
 * @example
 * ```ts
 * registerWasmTrainingKernels();
 * registerNativeKernels(); // { loaded: true, library: "oneDNN 2.6.3", threads: 2 }
 * ```
 */
export function registerNativeKernels(): NativeStatus {
  const s = loadNative();
  if (!s.loaded || registered) return s;
  registered = true;
  const on = () => enabled;
  const conv = () => cache!;
  for (const name of NATIVE_KERNELS) {
    const old = tf.getKernel(name, "wasm");
    if (!old) continue;
    tf.unregisterKernel(name, "wasm");
    // The cache is looked up per call: setNativeThreads replaces it.
    const make = (c: ConvCache): tf.KernelFunc =>
      name === "Conv2DBackpropInput"
        ? makeNativeConv2DBackpropInput(c, old.kernelFunc, on)
        : name === "Conv2DBackpropFilter"
        ? makeNativeConv2DBackpropFilter(c, old.kernelFunc, on)
        : name === "FusedBatchNorm"
        ? makeNativeFusedBatchNorm(conv, old.kernelFunc, on, (n) => countNativeCall(name, n))
        : makeNativeConv2D(name, c, old.kernelFunc, on);
    let built: [ConvCache, tf.KernelFunc] | undefined;
    tf.registerKernel({
      kernelName: name,
      backendName: "wasm",
      setupFunc: old.setupFunc,
      kernelFunc: (args) => {
        const c = conv();
        if (!built || built[0] !== c) built = [c, make(c)];
        return built[1](args);
      },
    });
  }
  registerNativeBatchNormTraining(conv, on);
  registerNativeMovingAverages(on);
  return s;
}

/**
 * The native convolutions built so far (distinct geometries), for tests and the bench.
 *
 * @example
 * ```ts
 * nativePrimitiveCount(); // e.g. 36 after one hourglass training step
 * ```
 */
export function nativePrimitiveCount(): number {
  return cache?.size ?? 0;
}
