/**
 * Registers tfjs-backend-webgpu under our own device request.
 *
 * The package's own factory (4.22) pushes `["bgra8unorm-storage"]` into `requiredFeatures` as a
 * nested array, which Deno rejects on real GPUs, and it asks for limits blindly. We ask only for
 * features the adapter has and for the limits the backend reads.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { WebGPUBackend } from "@tensorflow/tfjs-backend-webgpu";
import { registerWebGpuKernels } from "./webgpu_kernels.ts";

/** What we learnt about the WebGPU adapter, for the start line and for `auto`. */
export interface AdapterReport {
  readonly description: string;
  readonly isFallback: boolean;
}

/**
 * The GPU APIs `auto` looks for adapters on: the native ones. OpenGL is left out: on machines
 * without a GPU it only offers llvmpipe (useless next to wasm), and loading it (libEGL) made
 * processes abort at exit now and then (about 1 run in 30 here: glibc's "corrupted size vs.
 * prev_size" or "double free", from libEGL's exit handler racing a thread's teardown).
 */
export const NATIVE_GPU_APIS = "vulkan,metal,dx12";

/**
 * Asks Deno for a WebGPU adapter. Returns undefined when there is none (no `navigator.gpu`, or
 * no adapter at all). `gl: true` also looks on OpenGL (what `--backend webgpu` does); otherwise
 * only {@link NATIVE_GPU_APIS}. A `DENO_WEBGPU_BACKEND` set by the user wins. Deno reads that
 * setting once, when a process first asks for an adapter, so the first call decides.
 *
 * @example
 * ```ts
 * const found = await probeAdapter({ gl: true });
 * found?.report.isFallback; // true on llvmpipe
 * ```
 */
export function probeAdapter(
  opts: { gl?: boolean } = {},
): Promise<{ adapter: GPUAdapter; report: AdapterReport } | undefined> {
  // One adapter per process: every request starts a GPU instance of its own in Deno.
  probed ??= requestAdapter(opts.gl ?? false);
  return probed;
}

let probed: Promise<{ adapter: GPUAdapter; report: AdapterReport } | undefined> | undefined;

async function requestAdapter(gl: boolean): Promise<
  { adapter: GPUAdapter; report: AdapterReport } | undefined
> {
  if (!gl && Deno.env.get("DENO_WEBGPU_BACKEND") === undefined) {
    Deno.env.set("DENO_WEBGPU_BACKEND", NATIVE_GPU_APIS);
  }
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) return undefined;
  const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  if (!adapter) return undefined;
  const info = adapter.info;
  const parts = [info.vendor, info.architecture, info.device, info.description]
    .filter((s) => s && s.length > 0);
  const description = [...new Set(parts)].join(" ") || "unnamed adapter";
  // `isFallbackAdapter` moved from the adapter to its info across WebGPU drafts.
  const isFallback = Boolean(
    (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter ??
      (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter,
  );
  return { adapter, report: { description, isFallback } };
}

/** Features the webgpu backend can use when present. */
const WANTED_FEATURES: readonly GPUFeatureName[] = ["timestamp-query", "bgra8unorm-storage"];

/** Limits the webgpu backend reads; we ask for the adapter's maximum of each. */
const WANTED_LIMITS = [
  "maxComputeWorkgroupStorageSize",
  "maxComputeWorkgroupsPerDimension",
  "maxStorageBufferBindingSize",
  "maxBufferSize",
  "maxComputeWorkgroupSizeX",
  "maxComputeInvocationsPerWorkgroup",
] as const;

/**
 * Replaces tfjs's `webgpu` backend factory with one that makes a valid device request on the
 * given adapter. Call before `tf.setBackend("webgpu")`.
 *
 * @example
 * ```ts
 * const found = await probeAdapter();
 * if (found) registerWebGpuBackend(found.adapter);
 * await tf.setBackend("webgpu");
 * ```
 */
export function registerWebGpuBackend(adapter: GPUAdapter): void {
  releaseWebGpu();
  registerWebGpuKernels();
  tf.registerBackend("webgpu", async () => {
    const requiredFeatures = WANTED_FEATURES.filter((f) => adapter.features.has(f));
    const requiredLimits: Record<string, number> = {};
    for (const name of WANTED_LIMITS) requiredLimits[name] = adapter.limits[name];
    const device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
    return new WebGPUBackend(device, adapter.info);
  }, 3);
}

/**
 * Removes the webgpu backend and destroys its device, so that no GPU device outlives its use
 * (tfjs's own `removeBackend` frees the buffers but leaves the device alive). A no-op when the
 * backend was never registered.
 *
 * @example
 * ```ts
 * await tf.setBackend("cpu");
 * releaseWebGpu(); // after a test that ran on WebGPU
 * ```
 */
export function releaseWebGpu(): void {
  if (!tf.findBackendFactory("webgpu")) return;
  const backend = tf.engine().registry["webgpu"] as { device?: GPUDevice } | undefined;
  tf.removeBackend("webgpu");
  backend?.device?.destroy();
}
