/**
 * Fixes for tfjs-backend-cpu kernels that give wrong results.
 *
 * tfjs-backend-cpu 4.22's ResizeNearestNeighborGrad reads dy of batch item b at the input's
 * batch offset (b·H·W·C instead of b·H'·W'·C), so every batch item but the first gets wrong
 * gradients through nearest-neighbour upsampling (the hourglass's). It also ignores
 * `halfPixelCenters`. The replacement sends each dy pixel to the source pixel the forward pass
 * read, with the forward pass's own index formula.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";

/** The parts of tfjs-backend-cpu's `MathBackendCPU` a kernel needs. */
interface CpuBackendLike {
  data: { get(dataId: object): { values: ArrayLike<number> } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

/**
 * The source index tfjs-backend-cpu's ResizeNearestNeighbor reads for each output index along
 * one axis.
 *
 * @example
 * ```ts
 * nearestSources(2, 4, false, false); // Int32Array [0, 0, 1, 1]
 * ```
 */
export function nearestSources(
  inSize: number,
  outSize: number,
  alignCorners: boolean,
  halfPixelCenters: boolean,
): Int32Array {
  const corners = alignCorners && outSize > 1;
  const ratio = (corners ? inSize - 1 : inSize) / (corners ? outSize - 1 : outSize);
  const sources = new Int32Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const frac = halfPixelCenters ? ratio * (o + 0.5) : ratio * o;
    let src = Math.min(inSize - 1, alignCorners ? Math.round(frac) : Math.floor(frac));
    if (halfPixelCenters) src = Math.max(0, src);
    sources[o] = src;
  }
  return sources;
}

const resizeNearestNeighborGrad: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { images, dy } = inputs as { images: tf.TensorInfo; dy: tf.TensorInfo };
  const { alignCorners, halfPixelCenters } = attrs as unknown as
    & tf.ResizeNearestNeighborGradAttrs
    & { halfPixelCenters?: boolean };
  const cpu = backend as unknown as CpuBackendLike;
  const [batch, h, w, c] = images.shape as [number, number, number, number];
  const [, h2, w2] = dy.shape as [number, number, number, number];
  const rows = nearestSources(h, h2, alignCorners, halfPixelCenters ?? false);
  const cols = nearestSources(w, w2, alignCorners, halfPixelCenters ?? false);
  const dyValues = cpu.data.get(dy.dataId).values;
  const dx = new Float32Array(batch * h * w * c);
  let at = 0;
  for (let b = 0; b < batch; b++) {
    for (let y = 0; y < h2; y++) {
      const rowBase = (b * h + rows[y]!) * w;
      for (let x = 0; x < w2; x++) {
        const base = (rowBase + cols[x]!) * c;
        for (let ch = 0; ch < c; ch++) dx[base + ch]! += dyValues[at++]!;
      }
    }
  }
  return cpu.makeTensorInfo(images.shape, "float32", dx);
};

let registered = false;

/**
 * Replaces the broken tfjs-backend-cpu kernels (see the module notes). Safe to call repeatedly.
 *
 * @example
 * ```ts
 * registerCpuKernelFixes();
 * await tf.setBackend("cpu");
 * ```
 */
export function registerCpuKernelFixes(): void {
  if (registered) return;
  registered = true;
  const native = tf.getKernel(tf.ResizeNearestNeighborGrad, "cpu");
  if (native) tf.unregisterKernel(tf.ResizeNearestNeighborGrad, "cpu");
  tf.registerKernel({
    kernelName: tf.ResizeNearestNeighborGrad,
    backendName: "cpu",
    setupFunc: native?.setupFunc,
    kernelFunc: resizeNearestNeighborGrad,
  });
}
