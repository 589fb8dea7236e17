/**
 * MaxPoolGrad for tfjs-backend-wasm: a correctness fix, not a speed-up. The backend's own
 * kernel (tfjs-backend-wasm 4.22) gives wrong gradients for batch > 1 with more than one
 * channel (see tests/backend/wasm_kernels_test.ts), so it is never used. The gradient goes to
 * the first maximum of each window in row-major order, like tfjs-backend-cpu.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { compose, type KernelScope, type WasmBackendLike } from "./wasm_compose.ts";
import { foldPhases, phaseGrid, tapPhase } from "./wasm_phases.ts";

type Info = tf.TensorInfo;

function fill(s: KernelScope, shape: number[], value: number): Info {
  return s.run("Fill", {}, { shape, value, dtype: "float32" });
}

/**
 * 1 exactly where `v` equals the window maximum `y` (v <= y), else 0: `relu(1 - (y - v)·2^149)`;
 * the factor (applied as 2^127·2^22) lifts the smallest positive float difference to 1. A
 * -Infinity `v` (padding) never matches a finite maximum.
 */
function isWindowMax(s: KernelScope, y: Info, v: Info): Info {
  const gap = s.run("Sub", { a: y, b: v }); // >= 0
  const scaled = s.run("Multiply", {
    a: s.run("Multiply", { a: gap, b: fill(s, [1], 2 ** 127) }),
    b: fill(s, [1], 2 ** 22),
  });
  return s.run("Relu", { x: s.run("Sub", { a: fill(s, [1], 1), b: scaled }) });
}

/**
 * MaxPoolGrad for wasm (float32).
 *
 * Non-overlapping k x k pools (stride k, no padding, the hourglass's 2 x 2) are one pass over
 * the heap that writes the output directly: each window's dy goes to the first position (row
 * by row) where x equals the window's max y. It allocates nothing but dx: the composed form
 * it replaces (is-max mask, scores, a max-pool of them, their differences, broadcasts) held
 * about nine input-sized temporaries at once, 1.2 GiB for the stem's pool of the 2x64
 * hourglass at 256 px, batch 16, and that was the training step's peak (bench/RESULTS.md,
 * "training memory").
 *
 * Other pools go tap by tap: each tap's window (a stride phase of the -Inf-padded input, see
 * wasm_phases.ts) claims dy where it is the max and no earlier tap claimed it, and the claims
 * are added back onto the input positions.
 *
 * @example
 * ```ts
 * const native = tf.getKernel("MaxPoolGrad", "wasm");
 * tf.registerKernel({ kernelName: "MaxPoolGrad", backendName: "wasm", kernelFunc: makeMaxPoolGrad(native?.kernelFunc) });
 * ```
 */
export function makeMaxPoolGrad(_fallback: tf.KernelFunc | undefined): tf.KernelFunc {
  return (args) => {
    const { dy, input: x, output: y } = args.inputs as Record<string, Info>;
    const a = args.attrs as unknown as tf.MaxPoolGradAttrs;
    if (x!.dtype !== "float32") {
      throw new Error(`wasm MaxPoolGrad: dtype ${x!.dtype} is not supported (float32 only)`);
    }
    const info = tf.backend_util.computePool2DInfo(
      x!.shape as [number, number, number, number],
      a.filterSize,
      a.strides,
      1,
      a.pad,
      a.dimRoundingMode,
    );
    const k = info.filterHeight;
    const { top, left, bottom, right } = info.padInfo;
    const tiled = k === info.filterWidth && k === info.strideHeight && k === info.strideWidth &&
      top + left + bottom + right === 0 && info.inHeight === k * info.outHeight &&
      info.inWidth === k * info.outWidth;
    if (tiled) return tiledMaxPoolGrad(args.backend as unknown as WasmHeapBackend, dy!, x!, y!, k);
    return compose(
      args.backend as WasmBackendLike,
      (s) => tapMaxPoolGrad(s, dy!, x!, y!, info),
    );
  };
}

/** The parts of tfjs-backend-wasm's `BackendWasm` that work on the heap directly. */
interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): Info;
  typedArrayFromHeap(t: Info): Float32Array | Int32Array | Uint8Array;
}

/** dx of a k x k, stride k, unpadded pool: x `[B, k·Ho, k·Wo, C]`, y and dy `[B, Ho, Wo, C]`. */
function tiledMaxPoolGrad(backend: WasmHeapBackend, dy: Info, x: Info, y: Info, k: number): Info {
  const [b, h, w, c] = x.shape as [number, number, number, number];
  const ho = h / k, wo = w / k;
  const out = backend.makeOutput([b, h, w, c], "float32");
  // Views after makeOutput: allocating may grow (and so replace) the heap.
  const xs = backend.typedArrayFromHeap(x), ys = backend.typedArrayFromHeap(y);
  const dys = backend.typedArrayFromHeap(dy), dx = backend.typedArrayFromHeap(out);
  dx.fill(0);
  const rowStride = w * c; // from one input row to the next
  if (k === 2) {
    pool2Grad(xs as Float32Array, ys as Float32Array, dys as Float32Array, dx as Float32Array, {
      b,
      ho,
      wo,
      c,
      rowStride,
    });
    return out;
  }
  for (let n = 0; n < b; n++) {
    for (let i = 0; i < ho; i++) {
      for (let j = 0; j < wo; j++) {
        const o = ((n * ho + i) * wo + j) * c; // [n, i, j, 0] of y and dy
        const corner = ((n * h + i * k) * w + j * k) * c; // [n, i·k, j·k, 0] of x
        for (let ch = 0; ch < c; ch++) {
          const max = ys[o + ch];
          // The window's positions row by row; the first that holds the maximum takes dy.
          window: for (let r = 0; r < k; r++) {
            for (let q = 0; q < k; q++) {
              const p = corner + r * rowStride + q * c + ch;
              if (xs[p] === max) {
                dx[p] = dys[o + ch]!;
                break window;
              }
            }
          }
        }
      }
    }
  }
  return out;
}

/**
 * The 2 x 2 case (every pool of the hourglass), unrolled: the four positions of a window are
 * four runs of `c` contiguous channels, so the inner loop walks memory in order with no index
 * arithmetic. Same first-maximum rule as the general loop.
 */
function pool2Grad(
  xs: Float32Array,
  ys: Float32Array,
  dys: Float32Array,
  dx: Float32Array,
  g: { b: number; ho: number; wo: number; c: number; rowStride: number },
): void {
  const { b, ho, wo, c, rowStride } = g;
  for (let n = 0; n < b; n++) {
    for (let i = 0; i < ho; i++) {
      const row = (n * ho + i) * 2 * rowStride; // [n, 2i, 0, 0] of x
      for (let j = 0; j < wo; j++) {
        const o = ((n * ho + i) * wo + j) * c;
        const p00 = row + 2 * j * c, p01 = p00 + c, p10 = p00 + rowStride, p11 = p10 + c;
        for (let ch = 0; ch < c; ch++) {
          const max = ys[o + ch]!, d = dys[o + ch]!;
          if (xs[p00 + ch] === max) dx[p00 + ch] = d;
          else if (xs[p01 + ch] === max) dx[p01 + ch] = d;
          else if (xs[p10 + ch] === max) dx[p10 + ch] = d;
          else if (xs[p11 + ch] === max) dx[p11 + ch] = d;
        }
      }
    }
  }
}

function tapMaxPoolGrad(
  s: KernelScope,
  dy: Info,
  x: Info,
  y: Info,
  info: tf.backend_util.Conv2DInfo,
): Info {
  const grid = phaseGrid(info);
  const { batch: b, channels: c, height: h, width: w, hq, wq, top, left } = grid;
  const { strideHeight: sh, strideWidth: sw } = grid;
  const { outHeight: ho, outWidth: wo, filterHeight: kh, filterWidth: kw } = info;
  const padded = s.run("PadV2", { x }, {
    paddings: [[0, 0], [top, hq * sh - top - h], [left, wq * sw - left - w], [0, 0]],
    constantValue: -Infinity,
  }); // [B, Hq·sh, Wq·sw, C]
  const phases = sh * sw === 1 ? padded : s.run("Transpose", {
    x: s.reshape(padded, [b, hq, sh, wq, sw, c]),
  }, { perm: [2, 4, 0, 1, 3, 5] }); // [sh, sw, B, Hq, Wq, C]
  const rows = s.reshape(phases, [sh * sw * b, hq, wq * c]);
  const byPhase: Info[][] = Array.from({ length: sh * sw }, () => []);
  const one = fill(s, [1], 1);
  let claimed: Info | undefined;
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const { phase, di, dj } = tapPhase(grid, i, j);
      const window = s.run("Slice", { x: rows }, {
        begin: [phase * b, di, dj * c],
        size: [b, ho, wo * c],
      });
      const isMax = isWindowMax(s, y, s.reshape(window, [b, ho, wo, c]));
      const wins = claimed
        ? s.run("Multiply", { a: isMax, b: s.run("Sub", { a: one, b: claimed }) })
        : isMax;
      claimed = claimed ? s.run("Add", { a: claimed, b: wins }) : wins;
      const routed = s.run("Multiply", { a: wins, b: dy });
      byPhase[phase]!.push(s.run("PadV2", { x: routed }, {
        paddings: [[0, 0], [di, hq - ho - di], [dj, wq - wo - dj], [0, 0]],
        constantValue: 0,
      })); // [B, Hq, Wq, C]
    }
  }
  return foldPhases(s, byPhase, grid, "BHWC");
}
