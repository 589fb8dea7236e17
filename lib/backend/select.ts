/**
 * Backend selection: `--backend auto|webgpu|wasm|cpu`.
 *
 * `auto` takes WebGPU only on a real adapter. A software adapter (llvmpipe, SwiftShader) is tens
 * of times slower than the CPU paths, so `auto` then takes wasm and says so.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { KitError } from "../io/errors.ts";
import { probeAdapter, registerWebGpuBackend } from "./webgpu.ts";
import { registerWasmTrainingKernels } from "./wasm_kernels.ts";
import { registerCpuKernelFixes } from "./cpu_kernels.ts";
import { describeNative, type NativeStatus, registerNativeKernels } from "./native.ts";
import { setWasmThreadsDefault } from "./wasm_threads.ts";

/** Backends a user can ask for. */
export const BACKEND_CHOICES = ["auto", "webgpu", "wasm", "cpu"] as const;

/** A backend a user can ask for. */
export type BackendRequest = typeof BACKEND_CHOICES[number];

/** A backend tfjs actually runs on. */
export type BackendName = Exclude<BackendRequest, "auto">;

/** What was chosen and why: printed as one line at start. */
export interface BackendChoice {
  readonly backend: BackendName;
  readonly requested: BackendRequest;
  /** The WebGPU adapter found, or "none". */
  readonly adapter: string;
  readonly isFallbackAdapter: boolean;
  readonly reason: string;
  /** On wasm: the native convolutions (oneDNN through FFI) in use, or why not. */
  readonly native?: NativeStatus;
}

/**
 * Validates a `--backend` value, naming the bad value and the choices.
 *
 * @example
 * ```ts
 * parseBackend("wasm"); // "wasm"
 * parseBackend("gpu"); // throws KitError: unknown backend "gpu" (choose auto, webgpu, wasm, cpu)
 * ```
 */
export function parseBackend(value: string): BackendRequest {
  if ((BACKEND_CHOICES as readonly string[]).includes(value)) return value as BackendRequest;
  throw new KitError(`unknown backend "${value}" (choose ${BACKEND_CHOICES.join(", ")})`);
}

/**
 * Formats the start line.
 *
 * @example
 * ```ts
 * describeChoice(choice);
 * // "backend: wasm + oneDNN 2.6.3, 2 threads (no WebGPU adapter) - auto: ..."
 * // without libdnnl2: "backend: wasm (no WebGPU adapter) - auto: ...; plain wasm, no native
 * // convolutions (libdnnl.so.2 not found; install oneDNN ...: apt-get install libdnnl2)"
 * ```
 */
export function describeChoice(choice: BackendChoice): string {
  const adapter = choice.adapter === "none"
    ? "no WebGPU adapter"
    : `adapter: ${choice.adapter}${choice.isFallbackAdapter ? ", software fallback" : ""}`;
  const n = choice.native;
  const backend = n?.loaded ? `${choice.backend} + ${describeNative(n)}` : choice.backend;
  const hint = n && !n.loaded ? `; plain wasm, ${describeNative(n)}` : "";
  return `backend: ${backend} (${adapter}) - ${choice.reason}${hint}`;
}

/**
 * Picks, registers and activates a tfjs backend, and logs one line saying which, on which
 * adapter, and why. Throws a KitError when an explicit request cannot be met.
 *
 * @example
 * ```ts
 * const choice = await initBackend("auto");
 * // logs e.g. "backend: wasm (no WebGPU adapter) - auto: no WebGPU adapter on Vulkan, ..."
 * ```
 */
export async function initBackend(
  requested: BackendRequest = "auto",
  log: (line: string) => void = console.log,
): Promise<BackendChoice> {
  const found = requested === "auto" || requested === "webgpu"
    ? await probeAdapter({ gl: requested === "webgpu" })
    : undefined;
  const adapter = found?.report.description ?? "none";
  const isFallbackAdapter = found?.report.isFallback ?? false;

  let backend: BackendName;
  let reason: string;
  if (requested === "auto") {
    if (found && !isFallbackAdapter) {
      backend = "webgpu";
      reason = "auto: a hardware WebGPU adapter is present";
    } else {
      backend = "wasm";
      reason = found
        ? "auto: the only WebGPU adapter is a software fallback, far slower than wasm on the CPU"
        : "auto: no WebGPU adapter on Vulkan, Metal or DirectX 12, using the fastest CPU path " +
          "(--backend webgpu also tries OpenGL, e.g. llvmpipe)";
    }
  } else {
    backend = requested;
    reason = `requested with --backend ${requested}`;
    if (requested === "webgpu") {
      if (!found) {
        throw new KitError(
          "--backend webgpu: Deno found no WebGPU adapter (navigator.gpu.requestAdapter() gave " +
            "nothing); use --backend auto, wasm or cpu",
        );
      }
      if (isFallbackAdapter) reason += "; this adapter is a software fallback and will be slow";
    }
  }

  if (backend === "webgpu") registerWebGpuBackend(found!.adapter);
  let native: NativeStatus | undefined;
  if (backend === "wasm") {
    registerWasmTrainingKernels();
    native = registerNativeKernels();
    // oneDNN's pool runs the convolutions on every core; tfjs's wasm pool beside it only
    // contends for them (wasm_threads.ts says how much), so its default drops to one thread.
    if (native.loaded) setWasmThreadsDefault(1);
  }
  if (backend === "cpu") registerCpuKernelFixes();
  const ok = await tf.setBackend(backend);
  await tf.ready();
  if (!ok || tf.getBackend() !== backend) {
    throw new KitError(`tfjs could not start the ${backend} backend (it is on ${tf.getBackend()})`);
  }
  if (backend === "cpu") {
    // tfjs-backend-cpu greets Node-like runtimes with advice to install tfjs-node, which does not
    // apply to Deno; mark the backend as already used so it stays quiet.
    (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
  }
  const choice = {
    backend,
    requested,
    adapter,
    isFallbackAdapter,
    reason,
    ...(native ? { native } : {}),
  };
  log(describeChoice(choice));
  return choice;
}

/**
 * Reads a tensor's values without a synchronous download: `dataSync` throws on WebGPU in Deno.
 *
 * @example
 * ```ts
 * const values = await readTensor(tf.scalar(3)); // Float32Array [3]
 * ```
 */
export async function readTensor(t: tf.Tensor): Promise<Float32Array> {
  const data = await t.data();
  return data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
}
