/**
 * Multithreaded tfjs-backend-wasm in Deno.
 *
 * tfjs-backend-wasm ships a threaded SIMD build (XNNPACK on a pthreadpool), but in Deno it
 * starts single-threaded: Deno looks like Node.js (`process.versions.node`), and tfjs turns
 * threads off on Node. Forcing the flag is not enough: emscripten's Node.js path then creates
 * `worker_threads` workers from a blob URL (Deno wants a file) running a CommonJS script, and
 * sizes the thread pool as half the logical cores (1 on a 2-core machine).
 *
 * This module wraps the registered `wasm` backend factory so that, when more than one thread
 * is wanted, it starts the threaded build with:
 *
 * - `globalThis.Worker`, for the duration of the start only, answering emscripten's
 *   `new Worker(blobUrl)` with a `node:worker_threads` worker running wasm_pthread_worker.ts
 *   (unref'd once started, so that a finished program exits while the pool idles);
 * - `os.cpus()` reporting at least 2 x threads while the module initialises, so that the pool
 *   may have `threads` threads;
 * - tfjs's `setThreadsCount(threads)`.
 *
 * Everything is restored once the backend is up. If the threaded start fails, the factory
 * says so on stderr and starts the single-threaded build.
 *
 * Threads: `setWasmThreads(n)` before the backend starts, else `$KIT_WASM_THREADS`, else the
 * default: one thread when oneDNN's convolutions are loaded (`setWasmThreadsDefault`, called by
 * `initBackend`), otherwise half the logical cores (tfjs's own default in browsers), at most 8
 * (tfjs's worker pool). Half, not all: a thread pool is only faster while it has its cores to
 * itself. With another process busy, every one of a training step's thousands of small ops
 * waits for the descheduled thread, and the step is slower than on one thread (measured in
 * bench/RESULTS.md). One beside oneDNN: oneDNN's OpenMP pool then does the heavy kernels on all
 * cores, and a second pool whose workers wait for work on the same cores made a 2-core training
 * step 1.5-1.9x slower (bench/RESULTS.md, "Two thread pools"). On a dedicated 2-core machine
 * without oneDNN set `KIT_WASM_THREADS=2`.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { setThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import os from "node:os";
import { Worker as NodeWorker } from "node:worker_threads";
import { KitError } from "../io/errors.ts";

/**
 * tfjs-backend-wasm creates 8 pthread workers up front; more threads cannot be used.
 *
 * @example
 * ```ts
 * setWasmThreads(Math.min(MAX_WASM_THREADS, navigator.hardwareConcurrency));
 * ```
 */
export const MAX_WASM_THREADS = 8;

/** tfjs-backend-wasm's priority for the `wasm` backend. */
const WASM_PRIORITY = 2;

let requestedThreads: number | undefined;
let defaultThreads: number | undefined;
let startedThreads: number | undefined;
let wrapped = false;

/**
 * Asks for `n` wasm threads (1 = single-threaded build). Takes effect when the wasm backend
 * starts, so call it before `initBackend`.
 *
 * @example
 * ```ts
 * setWasmThreads(2);
 * await initBackend("wasm");
 * ```
 */
export function setWasmThreads(n: number): void {
  requestedThreads = checkThreads(n, "wasm threads");
}

/**
 * Sets the thread count used when neither `setWasmThreads` nor `$KIT_WASM_THREADS` chose one
 * (undefined: half the logical cores again). `initBackend` sets 1 when oneDNN's convolutions
 * are loaded; `deno task bench --threads N` sets N. Takes effect when the wasm backend starts.
 *
 * @example
 * ```ts
 * setWasmThreadsDefault(1);
 * wantedWasmThreads(); // 1, unless KIT_WASM_THREADS or setWasmThreads says otherwise
 * ```
 */
export function setWasmThreadsDefault(n: number | undefined): void {
  defaultThreads = n === undefined ? undefined : checkThreads(n, "wasm threads");
}

/**
 * The number of threads the running wasm backend uses, or undefined before it started.
 *
 * @example
 * ```ts
 * await initBackend("wasm");
 * wasmThreadCount(); // 1 on a 2-core machine, 2 with KIT_WASM_THREADS=2
 * ```
 */
export function wasmThreadCount(): number | undefined {
  return startedThreads;
}

function checkThreads(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 1 || n > MAX_WASM_THREADS) {
    throw new KitError(`${what} must be an integer from 1 to ${MAX_WASM_THREADS}, got ${n}`);
  }
  return n;
}

/**
 * Threads wanted now: `setWasmThreads`, else `$KIT_WASM_THREADS`, else `setWasmThreadsDefault`,
 * else half the logical cores.
 *
 * @example
 * ```ts
 * Deno.env.set("KIT_WASM_THREADS", "1");
 * wantedWasmThreads(); // 1 (unless setWasmThreads was called)
 * ```
 */
export function wantedWasmThreads(): number {
  if (requestedThreads !== undefined) return requestedThreads;
  const env = Deno.env.get("KIT_WASM_THREADS");
  if (env !== undefined && env !== "") return checkThreads(Number(env), "KIT_WASM_THREADS");
  if (defaultThreads !== undefined) return defaultThreads;
  const cores = navigator.hardwareConcurrency || 1;
  return Math.max(1, Math.min(MAX_WASM_THREADS, Math.floor(cores / 2)));
}

/**
 * Wraps the `wasm` backend factory (once) so that it starts the threaded build when more than
 * one thread is wanted. Does nothing if the wasm backend is already running.
 *
 * @example
 * ```ts
 * useThreadedWasmFactory();
 * await tf.setBackend("wasm"); // threaded with KIT_WASM_THREADS=2, or on 4+ cores
 * ```
 */
export function useThreadedWasmFactory(): void {
  if (wrapped) return;
  const original = tf.findBackendFactory("wasm");
  if (!original || tf.engine().registry["wasm"] !== undefined) return;
  wrapped = true;
  tf.removeBackend("wasm");
  tf.registerBackend("wasm", async () => {
    const threads = wantedWasmThreads();
    if (threads > 1 && await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")) {
      try {
        const backend = await startThreaded(original, threads);
        startedThreads = threadsOf(backend);
        return backend;
      } catch (e) {
        console.error(
          `wasm: the ${threads}-thread build did not start (${(e as Error).message ?? e}); ` +
            "running single-threaded",
        );
      }
    }
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
    const backend = await original();
    startedThreads = 1;
    return backend;
  }, WASM_PRIORITY);
}

function threadsOf(backend: tf.KernelBackend): number {
  return (backend as unknown as { wasm: { tfjs: { getThreadsCount(): number } } }).wasm.tfjs
    .getThreadsCount();
}

async function startThreaded(
  original: () => tf.KernelBackend | Promise<tf.KernelBackend>,
  threads: number,
): Promise<tf.KernelBackend> {
  const workers: PthreadWorker[] = [];
  const restore = patchForThreadedStart(threads, workers);
  try {
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
    setThreadsCount(threads);
    const backend = await original();
    const got = threadsOf(backend);
    if (got !== threads) throw new Error(`the thread pool has ${got} threads, not ${threads}`);
    return backend;
  } catch (e) {
    for (const w of workers) w.terminate();
    throw e;
  } finally {
    restore();
    // Referenced while starting (the start awaits their messages), then not: the pool idles
    // for the backend's lifetime and must not keep a finished program alive.
    for (const w of workers) w.release();
  }
}

/** Installs the start-time replacements; returns the function that undoes them. */
function patchForThreadedStart(threads: number, workers: PthreadWorker[]): () => void {
  const workerProp = Object.getOwnPropertyDescriptor(globalThis, "Worker");
  class Constructed extends PthreadWorker {
    constructor(url: string | URL) {
      super(url);
      workers.push(this);
    }
  }
  // emscripten assigns its own Worker class first; the setter swallows that.
  Object.defineProperty(globalThis, "Worker", {
    configurable: true,
    get: () => Constructed,
    set: () => {},
  });
  const cpus = os.cpus;
  const patchedOs = os as { cpus: typeof os.cpus };
  patchedOs.cpus = () => {
    const list = cpus();
    while (list.length > 0 && list.length < 2 * threads) list.push(list[0]!);
    return list;
  };
  return () => {
    if (workerProp) Object.defineProperty(globalThis, "Worker", workerProp);
    else delete (globalThis as { Worker?: unknown }).Worker;
    patchedOs.cpus = cpus;
  };
}

/**
 * What emscripten's Node.js path expects of a pthread worker (`on`, `postMessage`, `ref`,
 * `unref`, `terminate`), backed by a `node:worker_threads` worker running
 * wasm_pthread_worker.ts. emscripten's own ref/unref calls are ignored; the worker is
 * referenced until {@link PthreadWorker.release}.
 */
class PthreadWorker {
  readonly #worker: NodeWorker;

  constructor(url: string | URL) {
    this.#worker = new NodeWorker(new URL("./wasm_pthread_worker.ts", import.meta.url), {
      workerData: { workerScriptUrl: String(url) },
    });
  }

  /** Stops this worker from keeping the program alive. */
  release(): void {
    this.#worker.unref();
  }

  on(event: string, listener: (...args: unknown[]) => void): this {
    this.#worker.on(event, listener);
    return this;
  }

  postMessage(message: unknown, transfer?: readonly Transferable[]): void {
    this.#worker.postMessage(message, transfer as never);
  }

  ref(): void {}

  unref(): void {}

  terminate(): void {
    void this.#worker.terminate();
  }
}
