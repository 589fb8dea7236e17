/**
 * Batch normalisation for training as native kernels instead of ~25 tfjs kernel calls: the
 * normalisation (given the batch's mean and biased variance) and its gradient (dx, dγ, dβ) are
 * one oneDNN call each (native_bnorm.ts), registered on the wasm backend as
 * `KitBatchNormTraining` and `KitBatchNormTrainingGrad`.
 *
 * The batch statistics are not oneDNN's. Its training forward sums each channel over the B·H·W
 * pixels in one float32 pass, so its mean and variance are off by ~1e-6 relative at 1,024 pixels
 * (4.9e-6 for the variance of one layer of the tiny hourglass; ~1e-7 for the kit's blocked Mean),
 * and that error grows with the pixels. One ulp is enough to flip a max-pool's choice between
 * two near-equal inputs, which sends that pixel's whole gradient elsewhere: that is why whole
 * training steps with oneDNN's statistics drifted from the PyTorch twin (2.1e-4 in the weights
 * after 3 SGD steps against 1.2e-7; bench/RESULTS.md). So the mean and variance are the closed
 * form's (`tf.mean`, blocked on wasm; `tf.squaredDifference`): three tfjs calls, as precise as
 * lib/models' `batchNormTraining` (tests/backend/native_bnorm_train_test.ts).
 *
 * {@link nativeBatchNormTraining} is the op: the same contract as lib/models' closed-form
 * `batchNormTraining` (channels last, γ and β of one value per channel), and `undefined` when
 * the native path cannot take it (another backend, oneDNN not loaded or switched off with
 * `KIT_NATIVE=0`, or this part alone with `KIT_NATIVE_BN=0`, another dtype), so a caller keeps its
 * tfjs path for those.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { BatchNormPrimitive } from "./native_bnorm.ts";
import type { Dnnl } from "./native_dnnl.ts";
import { countNativeCall } from "./native_conv.ts";

/**
 * The kernel names this module registers on the wasm backend.
 *
 * @example
 * ```ts
 * tf.getKernel(NATIVE_BATCH_NORM_KERNELS.forward, "wasm"); // set once oneDNN loaded
 * ```
 */
export const NATIVE_BATCH_NORM_KERNELS = {
  forward: "KitBatchNormTraining",
  gradient: "KitBatchNormTrainingGrad",
  /** BatchNorm then ReLU: `[y, workspace]` (which outputs are positive, oneDNN's format). */
  reluForward: "KitBatchNormReluTraining",
  /** The pair's gradients (dx, dγ, dβ) from the forward pass's workspace. */
  reluGradient: "KitBatchNormReluTrainingGrad",
} as const;

/** The parts of tfjs-backend-wasm's `BackendWasm` a native kernel needs. */
interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

let state: {
  current: () => { readonly dnnl: Dnnl };
  enabled: () => boolean;
  /** The fused pair's forward and backward primitives for x's size, or null when unfit. */
  reluPair: (x: tf.TensorInfo, epsilon: number) => ReluPair | null;
} | undefined;

/** The two primitives of a fused BatchNorm + ReLU; their workspaces agree in size. */
interface ReluPair {
  readonly forward: BatchNormPrimitive;
  readonly backward: BatchNormPrimitive;
}

/**
 * Registers the two kernels on the wasm backend (done by registerNativeKernels once oneDNN
 * loaded). `current()` owns the library; a new owner (new thread count) means new primitives.
 *
 * @example
 * ```ts
 * registerNativeBatchNormTraining(() => cache, () => true);
 * ```
 */
export function registerNativeBatchNormTraining(
  current: () => { readonly dnnl: Dnnl },
  enabled: () => boolean,
): void {
  if (state) return;
  const built = new Map<string, BatchNormPrimitive>();
  const pairs = new Map<string, ReluPair | null>();
  let builtFor: object | undefined;
  const primitive = (
    kind: "inference" | "normalize" | "backward",
    x: tf.TensorInfo,
    epsilon: number,
    relu = false,
  ) => {
    const owner = current();
    if (builtFor !== owner) built.clear(), pairs.clear(), builtFor = owner;
    const c = x.shape[x.shape.length - 1]!;
    const pixels = x.shape.reduce((p, d) => p * d, 1) / c;
    const key = `${kind},${pixels},${c},${epsilon},${relu}`;
    let prim = built.get(key);
    if (!prim) {
      prim = new BatchNormPrimitive(owner.dnnl, kind, pixels, c, epsilon, {
        scale: true,
        shift: true,
        relu,
      }, BATCH_NORM_THREADS);
      built.set(key, prim);
    }
    return prim;
  };
  const reluPair = (x: tf.TensorInfo, epsilon: number): ReluPair | null => {
    primitive("inference", x, epsilon); // clears the caches for a new owner
    const key = `${x.shape},${epsilon}`;
    if (!pairs.has(key)) {
      let pair: ReluPair | null = null;
      try {
        const forward = primitive("normalize", x, epsilon, true);
        const backward = primitive("backward", x, epsilon, true);
        // Both must agree on the workspace's format: the same size in oneDNN 2.x's plain u8.
        if (forward.workspaceBytes > 0 && forward.workspaceBytes === backward.workspaceBytes) {
          pair = { forward, backward };
        }
      } catch {
        pair = null; // this oneDNN build has no such primitive: the caller stays unfused
      }
      pairs.set(key, pair);
    }
    return pairs.get(key)!;
  };
  state = { current, enabled, reluPair };
  const heap = (backend: unknown) => backend as WasmHeapBackend;
  // The gradient returns a tensor shaped like x and two per-channel vectors (dx, dscale,
  // dshift), allocated before any heap view is taken (an allocation may grow the heap).
  const xAndTwoPerChannel = (b: WasmHeapBackend, x: tf.TensorInfo): tf.TensorInfo[] => {
    const c = x.shape[x.shape.length - 1]!;
    return [
      b.makeOutput([...x.shape], "float32"),
      b.makeOutput([c], "float32"),
      b.makeOutput([c], "float32"),
    ];
  };
  type Inputs = Record<string, tf.TensorInfo>;
  // Views of what every kernel reads (x, the statistics, γ as scale, β as shift), taken after
  // the kernel's outputs are allocated (an allocation may grow the heap).
  const views = (b: WasmHeapBackend, inputs: Inputs) => {
    const v = (t: tf.TensorInfo) => b.typedArrayFromHeap(t) as Float32Array;
    const { x, mean, variance, gamma, beta } = inputs;
    return {
      v,
      read: { x: v(x!), mean: v(mean!), variance: v(variance!), scale: v(gamma!), shift: v(beta!) },
    };
  };
  const pairFor = (inputs: Inputs, epsilon: number): ReluPair => {
    const pair = reluPair(inputs.x!, epsilon);
    if (!pair) throw new Error("oneDNN: no fused BatchNorm + ReLU for this input");
    return pair;
  };
  // The workspace lives in an int32 tensor of ceil(bytes / 4) values (tfjs never reads it).
  const workspace = (b: WasmHeapBackend, t: tf.TensorInfo, bytes: number) => {
    const v = b.typedArrayFromHeap(t);
    return new Uint8Array(v.buffer, v.byteOffset, bytes);
  };
  const register = (
    kernelName: string,
    run: (b: WasmHeapBackend, inputs: Inputs, epsilon: number) => tf.TensorInfo | tf.TensorInfo[],
  ) =>
    tf.registerKernel({
      kernelName,
      backendName: "wasm",
      kernelFunc: ({ inputs, backend, attrs }) => {
        countNativeCall(kernelName, true);
        return run(heap(backend), inputs as Inputs, (attrs as { epsilon: number }).epsilon);
      },
    });
  register(NATIVE_BATCH_NORM_KERNELS.forward, (b, inputs, epsilon) => {
    // Normalisation with given statistics: oneDNN's inference primitive (global statistics).
    const prim = primitive("inference", inputs.x!, epsilon);
    const y = b.makeOutput([...inputs.x!.shape], "float32");
    const { v, read } = views(b, inputs);
    prim.execute({ ...read, y: v(y) });
    return y;
  });
  register(NATIVE_BATCH_NORM_KERNELS.gradient, (b, inputs, epsilon) => {
    const prim = primitive("backward", inputs.x!, epsilon);
    const outs = xAndTwoPerChannel(b, inputs.x!);
    const { v, read } = views(b, inputs);
    prim.execute({
      ...read,
      dy: v(inputs.dy!),
      dx: v(outs[0]!),
      dscale: v(outs[1]!),
      dshift: v(outs[2]!),
    });
    return outs;
  });
  register(NATIVE_BATCH_NORM_KERNELS.reluForward, (b, inputs, epsilon) => {
    const pair = pairFor(inputs, epsilon);
    const bytes = pair.forward.workspaceBytes;
    const y = b.makeOutput([...inputs.x!.shape], "float32");
    const ws = b.makeOutput([Math.ceil(bytes / 4)], "int32");
    const { v, read } = views(b, inputs);
    pair.forward.execute({ ...read, y: v(y), ws: workspace(b, ws, bytes) });
    return [y, ws];
  });
  register(NATIVE_BATCH_NORM_KERNELS.reluGradient, (b, inputs, epsilon) => {
    const pair = pairFor(inputs, epsilon);
    const outs = xAndTwoPerChannel(b, inputs.x!);
    const { v, read } = views(b, inputs);
    pair.backward.execute({
      ...read,
      dy: v(inputs.dy!),
      ws: workspace(b, inputs.ws!, pair.backward.workspaceBytes),
      dx: v(outs[0]!),
      dscale: v(outs[1]!),
      dshift: v(outs[2]!),
    });
    return outs;
  });
}

/**
 * oneDNN threads for batch normalisation: one. Its backward pass reduces every channel across
 * its threads; on two vCPUs shared with other processes each call then waits for a descheduled
 * thread (a whole gradient 10-23 ms on 2 threads against 2-6 ms on 1, bench/RESULTS.md), and a
 * BatchNorm of the kit's sizes is too small to gain from a second thread. The convolutions keep
 * the pool's threads.
 */
const BATCH_NORM_THREADS = 1;

/**
 * Whether training BatchNorm may run on oneDNN (when the native path is loaded and on): yes unless
 * `KIT_NATIVE_BN=0`. It was opt-in for a while because oneDNN 2.6's backward pass had a slow
 * mode: on two shared vCPUs each call waited 11-16 ms for its second thread. It now runs on one
 * thread ({@link BATCH_NORM_THREADS}); its values match the closed form's.
 *
 * @example
 * ```ts
 * nativeBatchNormTrainingOn(); // true unless KIT_NATIVE_BN=0
 * ```
 */
export function nativeBatchNormTrainingOn(): boolean {
  try {
    return Deno.env.get("KIT_NATIVE_BN") !== "0";
  } catch {
    return true; // no env permission: the default
  }
}

/**
 * Whether a training pass may ask for BatchNorm + ReLU as one native op now: the native training
 * BatchNorm is on ({@link nativeBatchNormTrainingOn}, oneDNN loaded and enabled) and the backend
 * is wasm. {@link nativeBatchNormTraining} with `relu` may still refuse an input.
 *
 * @example
 * ```ts
 * if (nativeBatchNormReluOn()) bn.apply(x, { training: true, kitFusedRelu: true });
 * ```
 */
export function nativeBatchNormReluOn(): boolean {
  return !!state?.enabled() && tf.getBackend() === "wasm" && nativeBatchNormTrainingOn();
}

/** Batch normalisation's training output, as lib/models' `batchNormTraining` returns it. */
export interface NativeBatchNormResult {
  readonly y: tf.Tensor;
  /** Per-channel mean `[C]` of the batch (kept: the caller disposes it). */
  readonly mean: tf.Tensor1D;
  /** Per-channel biased variance `[C]` of the batch (kept: the caller disposes it). */
  readonly variance: tf.Tensor1D;
}

/**
 * Batch normalisation in training mode over all axes but the last, with gradients for x, γ and
 * β: the closed form's batch statistics, then two native kernels (see the module notes);
 * `undefined` when the native path cannot take it. With `relu`, `y = max(0, BN(x))` with the
 * pair's gradients, still one kernel each way: oneDNN's fused ReLU, whose forward pass writes
 * which outputs were positive to a workspace (1 bit a value) that the backward pass reads.
 *
 * @example
 * ```ts
 * const r = nativeBatchNormTraining(x, gamma, beta, 1e-3) ?? batchNormTraining(x, gamma, beta, 1e-3);
 * const a = nativeBatchNormTraining(x, gamma, beta, 1e-3, true); // a.y = relu(BN(x))
 * ```
 */
export function nativeBatchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
  relu = false,
): NativeBatchNormResult | undefined {
  const c = x.shape[x.rank - 1];
  if (
    !nativeBatchNormTrainingOn() || !state?.enabled() || tf.getBackend() !== "wasm" || x.rank < 2 ||
    c === undefined ||
    x.size === 0 || [x, gamma, beta].some((t) => t.dtype !== "float32") ||
    gamma.size !== c || beta.size !== c || (relu && !state.reluPair(x, epsilon))
  ) {
    return undefined;
  }
  const kernels = NATIVE_BATCH_NORM_KERNELS;
  const [forward, gradient] = relu
    ? [kernels.reluForward, kernels.reluGradient]
    : [kernels.forward, kernels.gradient];
  const axes = x.shape.slice(0, -1).map((_, i) => i); // all but the channel axis
  let stats: [tf.Tensor1D, tf.Tensor1D] | undefined;
  const normalize = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, gamma, beta, save] = args as [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    // As the closed form computes them (blocked sums on wasm), not oneDNN's one-pass sums.
    const mean = tf.mean(x, axes) as tf.Tensor1D;
    const variance = tf.mean(tf.squaredDifference(x, mean), axes) as tf.Tensor1D;
    const out = tf.engine().runKernel(forward, { x, mean, variance, gamma, beta }, {
      epsilon,
    }) as tf.Tensor | tf.Tensor[];
    // The fused ReLU's workspace goes to the backward pass with the rest.
    const [y, ws] = Array.isArray(out) ? out : [out];
    // customGrad runs this in a scope of its own: keep the statistics for the caller.
    stats = [tf.keep(mean), tf.keep(variance)];
    save([x, mean, variance, gamma, beta, ...(ws ? [ws] : [])]);
    return {
      value: y!,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [x, mean, variance, gamma, beta, ws] = saved as [
          tf.Tensor,
          tf.Tensor,
          tf.Tensor,
          tf.Tensor,
          tf.Tensor,
          tf.Tensor | undefined,
        ];
        const inputs = { x, mean, variance, dy, gamma, beta, ...(ws ? { ws } : {}) };
        return tf.engine().runKernel(gradient, inputs, { epsilon }) as tf.Tensor[];
      },
    };
  });
  const y = normalize(x, gamma, beta);
  const [mean, variance] = stats!;
  return { y, mean, variance };
}
