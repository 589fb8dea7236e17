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

/** What we learnt about the WebGPU adapter, for the start line and for `auto`. */
export interface AdapterReport {
  readonly description: string;
  readonly isFallback: boolean;
}

/**
 * Asks Deno for a WebGPU adapter. Returns undefined when there is none (no `navigator.gpu`, or
 * no adapter at all).
 *
 * @example
 * ```ts
 * const found = await probeAdapter();
 * found?.report.isFallback; // true on llvmpipe
 * ```
 */
export async function probeAdapter(): Promise<
  { adapter: GPUAdapter; report: AdapterReport } | undefined
> {
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
  if (tf.findBackendFactory("webgpu")) tf.removeBackend("webgpu");
  tf.registerBackend("webgpu", async () => {
    const requiredFeatures = WANTED_FEATURES.filter((f) => adapter.features.has(f));
    const requiredLimits: Record<string, number> = {};
    for (const name of WANTED_LIMITS) requiredLimits[name] = adapter.limits[name];
    const device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
    return new WebGPUBackend(device, adapter.info);
  }, 3);
}
