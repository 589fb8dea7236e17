/**
 * Gradient kernels the tfjs wasm backend lacks, registered so that `--backend wasm` can train,
 * and faster versions of kernels training leans on.
 *
 * tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter and no UnsortedSegmentSum (added:
 * wasm_conv_grads.ts, wasm_segment_sum.ts); its MaxPoolGrad gives wrong gradients for
 * batch > 1 with several channels (replaced for correctness: wasm_max_pool_grad.ts); several
 * kernels training uses heavily (Conv2DBackpropInput, Tile, Sum and Mean over the batch axes,
 * FusedBatchNorm) are scalar C++ loops, and its Slice copies the whole input first (replaced for
 * speed: wasm_conv_grads.ts, wasm_fast_kernels.ts). The kernels here are composed from the
 * backend's own XNNPACK-backed kernels, and the backend starts with threads (wasm_threads.ts).
 * No model of the kit has a depthwise convolution, so its gradients are not added.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { conv2DBackpropFilter, makeConv2DBackpropInput } from "./wasm_conv_grads.ts";
import {
  makeCast,
  makeFusedBatchNorm,
  makeIdentity,
  makeMean,
  makeSlice,
  makeSplitV,
  makeSum,
  makeTile,
  makeTranspose,
} from "./wasm_fast_kernels.ts";
import { makeMaxPoolGrad } from "./wasm_max_pool_grad.ts";
import { unsortedSegmentSum } from "./wasm_segment_sum.ts";
import { useThreadedWasmFactory } from "./wasm_threads.ts";

/**
 * Kernels this module adds to the wasm backend.
 *
 * @example
 * ```ts
 * WASM_ADDED_KERNELS.includes("Conv2DBackpropFilter"); // true
 * ```
 */
export const WASM_ADDED_KERNELS = ["Conv2DBackpropFilter", "UnsortedSegmentSum"] as const;

/**
 * Kernels this module replaces on the wasm backend (keeping the originals as fallbacks).
 *
 * @example
 * ```ts
 * WASM_REPLACED_KERNELS.includes("MaxPoolGrad"); // true
 * ```
 */
export const WASM_REPLACED_KERNELS = [
  "Conv2DBackpropInput",
  "Identity",
  "Tile",
  "Sum",
  "Mean",
  "FusedBatchNorm",
  "MaxPoolGrad",
  "Slice",
  "SplitV",
  "Cast",
  "Transpose",
] as const;

const REPLACEMENTS: Record<
  typeof WASM_REPLACED_KERNELS[number],
  (fallback: tf.KernelFunc | undefined) => tf.KernelFunc
> = {
  Conv2DBackpropInput: makeConv2DBackpropInput,
  Identity: makeIdentity,
  Tile: makeTile,
  Sum: makeSum,
  Mean: makeMean,
  FusedBatchNorm: makeFusedBatchNorm,
  MaxPoolGrad: makeMaxPoolGrad,
  Slice: makeSlice,
  SplitV: makeSplitV,
  Cast: makeCast,
  Transpose: makeTranspose,
};

let registered = false;

/**
 * Registers the kit's wasm training kernels once, and makes the wasm backend start with threads
 * (see wasm_threads.ts). Safe to call repeatedly, before or after the wasm backend starts.
 *
 * @example
 * ```ts
 * registerWasmTrainingKernels();
 * await tf.setBackend("wasm");
 * ```
 */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  registered = true;
  useThreadedWasmFactory();
  const add = (kernelName: string, kernelFunc: tf.KernelFunc) => {
    // A later tfjs that brings its own kernel keeps it.
    if (!tf.getKernel(kernelName, "wasm")) {
      tf.registerKernel({ kernelName, backendName: "wasm", kernelFunc });
    }
  };
  add(tf.Conv2DBackpropFilter, conv2DBackpropFilter);
  add(tf.UnsortedSegmentSum, unsortedSegmentSum);

  // The replaced kernels keep their setupFunc: it binds the C++ function the fallback calls.
  for (const name of WASM_REPLACED_KERNELS) {
    const native = tf.getKernel(name, "wasm");
    if (native) tf.unregisterKernel(name, "wasm");
    tf.registerKernel({
      kernelName: name,
      backendName: "wasm",
      setupFunc: native?.setupFunc,
      kernelFunc: REPLACEMENTS[name](native?.kernelFunc),
    });
  }
}
