/**
 * The kit's own kernels for tfjs-backend-webgpu, registered when the webgpu backend is set up
 * (as wasm_kernels.ts does for wasm). Each replaced kernel keeps tfjs's own as the fallback for
 * the cases it does not cover, and {@link setWebGpuKernelsEnabled} switches them off so that a
 * benchmark can time tfjs's kernels beside ours in one process.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { webGpuConv2D } from "./webgpu_conv2d.ts";
import { webGpuConv2DBackpropFilter } from "./webgpu_conv_filter.ts";
import { webGpuConv2DBackpropInput } from "./webgpu_conv_input.ts";
import { webGpuChannelSum } from "./webgpu_sum.ts";

/** A kit kernel: its result, or undefined to leave the case to tfjs's kernel (`original`). */
type KitKernel = (
  args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap },
  original: tf.KernelFunc,
) => tf.TensorInfo | undefined;

/** Kernels the kit replaces on webgpu, with its implementation of each. */
const KIT_WEBGPU_KERNELS: Readonly<Record<string, KitKernel>> = {
  [tf.Conv2D]: webGpuConv2D,
  [tf.FusedConv2D]: webGpuConv2D,
  [tf.Conv2DBackpropFilter]: webGpuConv2DBackpropFilter,
  [tf.Conv2DBackpropInput]: webGpuConv2DBackpropInput,
  [tf.Sum]: webGpuChannelSum,
};

// KIT_WEBGPU_KERNELS=0 starts with them off: tfjs's own kernels, for before/after benchmarks of
// whole commands (`deno task bench --backend webgpu`).
let enabled = envSetting("KIT_WEBGPU_KERNELS") !== "0";
let fusedEnabled = true;
const disabled = new Set<string>();
let registered = false;
const runs = new Map<string, number>();
const rawDispatches = new Map<string, number>();

/** An environment variable, or undefined in a browser or without permission to read it. */
function envSetting(name: string): string | undefined {
  try {
    return (globalThis as { Deno?: typeof Deno }).Deno?.env.get(name);
  } catch {
    return undefined;
  }
}

/**
 * Registers the kit's webgpu kernels once (later calls do nothing). Call after
 * tfjs-backend-webgpu is imported (it registers its own kernels on import) and before training.
 *
 * @example
 * ```ts
 * registerWebGpuKernels();
 * await tf.setBackend("webgpu");
 * ```
 */
export function registerWebGpuKernels(): void {
  if (registered) return;
  registered = true;
  for (const [name, kit] of Object.entries(KIT_WEBGPU_KERNELS)) {
    const original = tf.getKernel(name, "webgpu");
    if (!original) continue; // a tfjs without this kernel: nothing to replace or fall back to
    tf.unregisterKernel(name, "webgpu");
    tf.registerKernel({
      kernelName: name,
      backendName: "webgpu",
      setupFunc: original.setupFunc,
      kernelFunc: (args) => {
        const out = enabled && !disabled.has(name) ? kit(args, original.kernelFunc) : undefined;
        if (out) {
          runs.set(name, (runs.get(name) ?? 0) + 1);
          return out;
        }
        return original.kernelFunc(args);
      },
    });
  }
}

/**
 * Switches the kit's webgpu kernels on or off (tfjs's own run while off); for benchmarks.
 *
 * @example
 * ```ts
 * setWebGpuKernelsEnabled(false); // time tfjs-backend-webgpu's Conv2DBackpropFilter
 * setWebGpuKernelsEnabled(true);
 * ```
 */
export function setWebGpuKernelsEnabled(on: boolean): void {
  enabled = on;
}

/**
 * Leaves the named kernels to tfjs (the others as {@link setWebGpuKernelsEnabled} says), so that
 * a benchmark can time one of the kit's kernels against tfjs's inside a whole step; `[]` turns
 * them all back on.
 *
 * @example
 * ```ts
 * setWebGpuKernelsDisabled(["Conv2D", "FusedConv2D"]); // tfjs's forward convolutions
 * setWebGpuKernelsDisabled([]);
 * ```
 */
export function setWebGpuKernelsDisabled(names: readonly string[]): void {
  disabled.clear();
  for (const n of names) disabled.add(n);
}

/**
 * Whether the kit's kernel or fused program `name` runs: the kit's kernels on and `name` not
 * left to tfjs by {@link setWebGpuKernelsDisabled}.
 *
 * @example
 * ```ts
 * if (webGpuKernelOn("BatchNormGradSums")) recordWebGpuKernelRun("BatchNormGradSums", 1);
 * ```
 */
export function webGpuKernelOn(name: string): boolean {
  return enabled && !disabled.has(name);
}

/**
 * Switches only the kit's fused element-wise programs (BatchNorm, RMSprop) on or off, leaving
 * its convolution kernels as {@link setWebGpuKernelsEnabled} says; for benchmarks.
 *
 * @example
 * ```ts
 * setWebGpuFusedEnabled(false); // tfjs's element-wise ops, the kit's convolutions
 * ```
 */
export function setWebGpuFusedEnabled(on: boolean): void {
  fusedEnabled = on;
}

/**
 * Whether the kit's fused element-wise programs run (webgpu_bnorm.ts, webgpu_rmsprop.ts): both
 * switches on.
 *
 * @example
 * ```ts
 * if (webGpuFusedEnabled()) recordWebGpuKernelRun("RMSPropUpdate");
 * ```
 */
export function webGpuFusedEnabled(): boolean {
  return enabled && fusedEnabled;
}

/**
 * Counts one run of a kit webgpu kernel that is not in tfjs's registry (for
 * {@link webGpuKernelRuns}), and the dispatches it recorded without tfjs's `runWebGPUProgram`.
 *
 * @example
 * ```ts
 * recordWebGpuKernelRun("RMSPropUpdate");
 * ```
 */
export function recordWebGpuKernelRun(name: string, dispatches = 0): void {
  runs.set(name, (runs.get(name) ?? 0) + 1);
  if (dispatches > 0) rawDispatches.set(name, (rawDispatches.get(name) ?? 0) + dispatches);
}

/**
 * Dispatches the kit recorded into tfjs's command encoder itself, outside tfjs's
 * `runWebGPUProgram` (so that a benchmark counting that function's calls can add them), by kernel.
 *
 * @example
 * ```ts
 * webGpuRawDispatches()["RMSPropUpdate"]; // one per weight tensor per step
 * ```
 */
export function webGpuRawDispatches(): Record<string, number> {
  return Object.fromEntries(rawDispatches);
}

/**
 * The kernels the kit replaces on webgpu.
 *
 * @example
 * ```ts
 * webGpuKernelNames(); // ["Conv2D", "FusedConv2D", "Conv2DBackpropFilter", ...]
 * ```
 */
export function webGpuKernelNames(): string[] {
  return Object.keys(KIT_WEBGPU_KERNELS);
}

/**
 * How often each of the kit's webgpu kernels ran (not counting falls back to tfjs's), so that a
 * test can tell the kit's kernel from tfjs's.
 *
 * @example
 * ```ts
 * webGpuKernelRuns()["Conv2DBackpropFilter"]; // e.g. 3
 * ```
 */
export function webGpuKernelRuns(): Record<string, number> {
  return Object.fromEntries(runs);
}
