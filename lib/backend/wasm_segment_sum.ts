/**
 * UnsortedSegmentSum for tfjs-backend-wasm (the gradient of `tf.gather`), composed as a matrix
 * product with a one-hot matrix: `out [S, D] = onehot(ids)ᵀ [S, n] · x [n, D]`. Ids outside
 * [0, S) get an all-zero one-hot row and so are dropped, as in TensorFlow.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { compose, type WasmBackendLike } from "./wasm_compose.ts";
import { UnsupportedKernelAttrs } from "./wasm_conv_grads.ts";

/**
 * UnsortedSegmentSum for wasm (float32 values).
 *
 * @example
 * ```ts
 * tf.registerKernel({ kernelName: "UnsortedSegmentSum", backendName: "wasm", kernelFunc: unsortedSegmentSum });
 * ```
 */
export const unsortedSegmentSum: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const { numSegments } = attrs as unknown as tf.UnsortedSegmentSumAttrs;
  const name = "UnsortedSegmentSum";
  if (x.dtype !== "float32") throw new UnsupportedKernelAttrs(name, `dtype ${x.dtype}`);
  const idShape = segmentIds.shape;
  if (idShape.some((d, i) => d !== x.shape[i])) {
    throw new Error(
      `wasm ${name}: segmentIds shape [${idShape}] is not a prefix of x shape [${x.shape}]`,
    );
  }
  const n = idShape.reduce((p, d) => p * d, 1);
  const rest = x.shape.slice(idShape.length);
  const d = rest.reduce((p, v) => p * v, 1);
  return compose(backend as WasmBackendLike, (s) => {
    const ids = segmentIds.dtype === "int32"
      ? s.reshape(segmentIds, [n])
      : s.run("Cast", { x: s.reshape(segmentIds, [n]) }, { dtype: "int32" });
    // The wasm OneHot writes int32 whatever dtype it is asked for.
    const oneHot = s.run("OneHot", { indices: ids }, {
      depth: numSegments,
      onValue: 1,
      offValue: 0,
      dtype: "int32",
    }); // [n, S]
    const selectorInt = s.run("Transpose", { x: oneHot }, { perm: [1, 0] }); // [S, n]
    const selector = s.run("Cast", { x: selectorInt }, { dtype: "float32" });
    const summed = s.run("BatchMatMul", {
      a: s.reshape(selector, [1, numSegments, n]),
      b: s.reshape(x, [1, n, d]),
    }, { transposeA: false, transposeB: false }); // [1, S, D]
    return s.reshape(summed, [numSegments, ...rest]);
  });
};
