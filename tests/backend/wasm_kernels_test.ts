import { assertEquals, assertLess, assertThrows } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend/mod.ts";
import { mergeTransposeAxes, reductionBlocks } from "../../lib/backend/wasm_fast_kernels.ts";
import { assertNoLeaks } from "../../lib/testing/mod.ts";
import { relativeErrors } from "./native_paths.ts";

// Starting the wasm backend starts its thread pool, which lives as long as the process.
const BACKEND_TEST = { sanitizeOps: false, sanitizeResources: false };

/** Runs `f` on wasm and on cpu; returns max |wasm - cpu| / max |cpu| for each output. */
async function wasmVsCpu(f: () => tf.Tensor[]): Promise<number[]> {
  const run = async (backend: "wasm" | "cpu") => {
    await initBackend(backend, () => {});
    const outs = f();
    const values = await Promise.all(outs.map((t) => t.data()));
    tf.dispose(outs);
    return values;
  };
  const wasm = await run("wasm");
  const cpu = await run("cpu");
  return relativeErrors(wasm as Float32Array[], cpu as Float32Array[]);
}

function rand(shape: number[], seed: number): tf.Tensor {
  return tf.randomUniform(shape, -1, 1, "float32", seed);
}

function assertClose(errors: number[], label: string): void {
  for (const e of errors) assertLess(e, 1e-4, `${label}: relative error ${e}`);
}

type Pad = "same" | "valid" | number | tf.backend_util.ExplicitPadding;

const CONV_CASES: [string, number[], number[], number, Pad][] = [
  ["1x1 stride 1", [2, 6, 6, 5], [1, 1, 5, 4], 1, "same"],
  ["1x1 stride 2", [2, 6, 6, 5], [1, 1, 5, 4], 2, "same"],
  ["3x3 stride 1 same", [2, 7, 6, 3], [3, 3, 3, 4], 1, "same"],
  ["3x3 stride 1 valid", [2, 7, 6, 3], [3, 3, 3, 4], 1, "valid"],
  ["3x3 stride 2 same, odd size", [2, 9, 7, 3], [3, 3, 3, 4], 2, "same"],
  ["3x3 stride 2 valid", [2, 9, 7, 3], [3, 3, 3, 4], 2, "valid"],
  ["7x7 stride 2 same (the stem)", [1, 16, 16, 3], [7, 7, 3, 4], 2, "same"],
  ["2x2 stride 1 same (uneven padding)", [2, 6, 6, 3], [2, 2, 3, 4], 1, "same"],
  ["3x3 pad 3 (wider than the filter)", [1, 5, 5, 2], [3, 3, 2, 3], 1, 3],
  ["5x3 explicit padding", [1, 6, 6, 2], [5, 3, 2, 3], 1, [[0, 0], [2, 1], [0, 2], [0, 0]]],
];

for (const [label, xShape, fShape, stride, pad] of CONV_CASES) {
  Deno.test({
    name: `conv2d gradients on wasm match the cpu backend: ${label}`,
    ...BACKEND_TEST,
    fn: async () => {
      const errors = await wasmVsCpu(() =>
        tf.grads((x: tf.Tensor, f: tf.Tensor) =>
          tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, stride, pad).mul(
            rand(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, stride, pad).shape, 9),
          ).sum()
        )([rand(xShape, 1), rand(fShape, 2)])
      );
      assertClose(errors, label);
    },
  });
}

Deno.test({
  name: "fused conv2d (bias, relu) gradients on wasm match the cpu backend",
  ...BACKEND_TEST,
  fn: async () => {
    const errors = await wasmVsCpu(() =>
      tf.grads((x: tf.Tensor, f: tf.Tensor, b: tf.Tensor) =>
        tf.fused.conv2d({
          x: x as tf.Tensor4D,
          filter: f as tf.Tensor4D,
          strides: 1,
          pad: "same",
          bias: b,
          activation: "relu",
        }).mul(rand([2, 6, 6, 4], 9)).sum()
      )([rand([2, 6, 6, 3], 1), rand([3, 3, 3, 4], 2), rand([4], 3)])
    );
    assertClose(errors, "fused conv2d");
  },
});

Deno.test({
  name: "attributes the wasm kernels do not cover are refused with an error naming them",
  ...BACKEND_TEST,
  fn: async () => {
    await initBackend("wasm", () => {});
    const dy = rand([1, 3, 3, 2], 1);
    assertThrows(
      () =>
        tf.engine().runKernel(tf.Conv2DBackpropFilter, { x: rand([1, 2, 6, 6], 3), dy }, {
          strides: 1,
          pad: "same",
          dataFormat: "NCHW",
          filterShape: [3, 3, 2, 2],
        }),
      Error,
      'dataFormat "NCHW" (only NHWC)',
    );
    tf.dispose(dy);
  },
});

Deno.test({
  name: "gather's gradient (UnsortedSegmentSum) on wasm matches the cpu backend",
  ...BACKEND_TEST,
  fn: async () => {
    const errors = await wasmVsCpu(() => [
      tf.grad((p: tf.Tensor) =>
        tf.gather(p, tf.tensor1d([0, 2, 2, 1], "int32"), 1).mul(rand([3, 4, 2], 9)).sum()
      )(rand([3, 3, 2], 1)),
      tf.unsortedSegmentSum(rand([5, 3], 2), tf.tensor1d([0, 2, -1, 2, 7], "int32"), 4),
    ]);
    assertClose(errors, "gather");
  },
});

Deno.test({
  name: "the replaced wasm kernels give the cpu backend's results",
  ...BACKEND_TEST,
  fn: async () => {
    const x = () => rand([2, 3, 4, 5], 1);
    const errors = await wasmVsCpu(() => [
      tf.tile(rand([1, 1, 1, 5], 2), [2, 3, 4, 1]), // broadcast only
      tf.tile(rand([2, 3], 2), [2, 2]), // a real tiling: the backend's kernel
      tf.sum(x(), [0, 1, 2]),
      tf.sum(x(), [0, 1], true),
      tf.sum(x()),
      tf.sum(x(), [1, 2]), // not leading axes: the backend's kernel
      tf.mean(x(), [0, 1, 2]),
      tf.mean(x()),
      tf.batchNorm(x(), rand([5], 3), tf.randomUniform([5], 0.5, 1, "float32", 4), rand([5], 5)),
      tf.batchNorm(x(), rand([5], 3), tf.randomUniform([5], 0.5, 1, "float32", 4)),
      tf.clone(x()),
      tf.slice(x(), [1, 0, 1, 2], [1, 3, 2, 2]),
      tf.slice(x(), [0, 1, 0, 0], [2, 2, 4, 5]),
      tf.slice(x(), [1], [1]),
      tf.slice(rand([6, 7], 8), [2, 3], [3, -1]),
      tf.slice(tf.range(0, 24, 1, "int32").reshape([2, 3, 4]), [0, 1, 1], [2, 2, 2]).toFloat(),
      ...tf.split(rand([17], 10), [5, 1, 11]),
      ...tf.split(x(), [1, 3], 2), // a middle axis
      ...tf.split(tf.range(0, 24, 1, "int32").reshape([2, 12]), 3, 1).map((t) => t.toFloat()),
      tf.transpose(x(), [3, 0, 1, 2]), // merges to 2-D
      tf.transpose(x(), [0, 2, 1, 3]),
      tf.transpose(rand([3, 4, 2, 5, 2], 11), [2, 4, 0, 1, 3]), // rank 5 -> 4
      tf.transpose(rand([2, 1, 3, 1, 4, 2], 12), [5, 3, 1, 4, 0, 2]),
      tf.transpose(rand([1, 6, 1, 5], 13), [2, 1, 0, 3]), // only size-1 axes move: a reshape
      tf.transpose(tf.range(0, 24, 1, "int32").reshape([2, 3, 4]), [2, 0, 1]).toFloat(),
      tf.cast(x(), "float32"), // same dtype: shares the buffer
      tf.cast(tf.cast(tf.mul(x(), 10), "int32"), "float32"), // real casts: the backend's kernel
      tf.conv2dTranspose(
        rand([2, 3, 3, 4], 6) as tf.Tensor4D,
        rand([3, 3, 2, 4], 7) as tf.Tensor4D,
        [
          2,
          6,
          6,
          2,
        ],
        2,
        "same",
      ),
    ]);
    assertClose(errors, "replaced kernels");
  },
});

Deno.test({
  name: "sums over the batch axes on wasm keep the small terms a large one would absorb, " +
    "as the cpu backend does",
  ...BACKEND_TEST,
  fn: async () => {
    // A gradient's shape: B·H·W = 8·16·16 = 2048 pixels (the MSR-net's features at batch 8),
    // one large value per channel and 2047 values a quarter of its float32 spacing. Added one
    // after the other each small value rounds away (the sum stays 1); the cpu backend adds in
    // float64 and gets 1 + 2047·2^-25 ≈ 1 + 6.1e-5.
    const [b, h, w, c] = [8, 16, 16, 4];
    const values = new Float32Array(b * h * w * c).fill(2 ** -25);
    values.fill(1, 0, c);
    const exact = 1 + (b * h * w - 1) * 2 ** -25;
    for (const reduce of ["sum", "mean"] as const) {
      await initBackend("wasm", () => {});
      const x = tf.tensor4d(values, [b, h, w, c]);
      const out = reduce === "sum" ? tf.sum(x, [0, 1, 2]) : tf.mean(x, [0, 1, 2]);
      const got = await out.data();
      const scale = reduce === "sum" ? 1 : b * h * w;
      for (const v of got) {
        const error = Math.abs(v * scale - exact) / exact;
        // Blocks of 16 lose at most the 15 small values next to the large one: 4.5e-7.
        assertLess(error, 1e-6, `${reduce}: ${v * scale} against ${exact}`);
      }
      tf.dispose([x, out]);
    }
  },
});

Deno.test("a reduction is split into levels of at most 16 neighbours, powers of two first", () => {
  assertEquals(reductionBlocks(2048), [16, 16, 8]);
  assertEquals(reductionBlocks(1536), [16, 16, 6]);
  assertEquals(reductionBlocks(12), [12]);
  assertEquals(reductionBlocks(1), [1]);
  assertEquals(reductionBlocks(34), [2, 17]); // a prime above 16 is a level of its own
});

Deno.test({
  name: "batch-norm training gradients on wasm match the cpu backend",
  ...BACKEND_TEST,
  fn: async () => {
    const errors = await wasmVsCpu(() =>
      tf.grads((x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => {
        const { mean, variance } = tf.moments(x, [0, 1, 2]);
        return tf.batchNorm(x, mean, variance, beta, gamma, 1e-5).mul(rand([2, 5, 5, 4], 9))
          .sum();
      })([rand([2, 5, 5, 4], 1), rand([4], 2), rand([4], 3)])
    );
    assertClose(errors, "batch norm");
  },
});

/** Max-pool gradient by brute force: dy goes to the first maximum of each window. */
function maxPoolGradReference(
  x: Float32Array,
  dy: Float32Array,
  [b, h, w, c]: [number, number, number, number],
  k: number,
  s: number,
  pad: "same" | "valid",
): Float32Array {
  const ho = pad === "same" ? Math.ceil(h / s) : Math.floor((h - k) / s) + 1;
  const wo = pad === "same" ? Math.ceil(w / s) : Math.floor((w - k) / s) + 1;
  const top = pad === "same" ? Math.floor(Math.max((ho - 1) * s + k - h, 0) / 2) : 0;
  const left = pad === "same" ? Math.floor(Math.max((wo - 1) * s + k - w, 0) / 2) : 0;
  const dx = new Float32Array(x.length);
  for (let n = 0; n < b; n++) {
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++) {
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity, at = -1;
          for (let i = 0; i < k; i++) {
            for (let j = 0; j < k; j++) {
              const yy = oy * s + i - top, xx = ox * s + j - left;
              if (yy < 0 || xx < 0 || yy >= h || xx >= w) continue;
              const idx = ((n * h + yy) * w + xx) * c + ch;
              if (x[idx]! > best) [best, at] = [x[idx]!, idx];
            }
          }
          dx[at]! += dy[((n * ho + oy) * wo + ox) * c + ch]!;
        }
      }
    }
  }
  return dx;
}

Deno.test({
  name: "max-pool gradients on wasm go to the first maximum of each window, ties included",
  ...BACKEND_TEST,
  fn: async () => {
    await initBackend("wasm", () => {});
    const shape: [number, number, number, number] = [2, 8, 8, 3];
    // Values in {0, 1, 2}: most windows have ties.
    const x = tf.floor(tf.randomUniform(shape, 0, 3, "float32", 7));
    // 2/2 and 4/4 tile the input (one pass over the heap; 2 x 2 has its own unrolled loop).
    const pools = [[2, 2, "valid"], [4, 4, "valid"], [3, 2, "same"], [3, 1, "same"]] as const;
    for (const [k, s, pad] of pools) {
      const y = tf.maxPool(x as tf.Tensor4D, k, s, pad);
      const dy = rand(y.shape, 8);
      const dx = tf.grad((t: tf.Tensor) => tf.maxPool(t as tf.Tensor4D, k, s, pad).mul(dy).sum())(
        x,
      );
      const expected = maxPoolGradReference(
        await x.data() as Float32Array,
        await dy.data() as Float32Array,
        shape,
        k,
        s,
        pad,
      );
      const got = await dx.data();
      // Routing must be exact; sums over overlapping windows may round in another order.
      const worst = expected.reduce((m, e, i) => Math.max(m, Math.abs(e - got[i]!)), 0);
      assertLess(worst, 1e-6, `pool ${k}/${s} ${pad}: max difference ${worst}`);
      tf.dispose([y, dy, dx]);
    }
    x.dispose();
  },
});

Deno.test({
  name: "the 2x2 max-pool gradient on wasm allocates nothing but its output",
  ...BACKEND_TEST,
  fn: async () => {
    await initBackend("wasm", () => {});
    const x = rand([2, 16, 16, 8], 9);
    const dy = rand([2, 8, 8, 8], 10);
    const grad = (t: tf.Tensor) => tf.maxPool(t as tf.Tensor4D, 2, 2, "valid").mul(dy).sum();
    const wasm = (tf.backend() as unknown as {
      wasm: { _malloc(n: number): number };
    }).wasm;
    const malloc = wasm._malloc;
    const sizes: number[] = [];
    const engine = tf.engine() as unknown as {
      runKernelFunc(p: { kernelName?: string }): unknown;
    };
    const run = engine.runKernelFunc;
    let inPoolGrad = false;
    engine.runKernelFunc = function (p) {
      inPoolGrad = p.kernelName === "MaxPoolGrad";
      try {
        return run.call(this, p);
      } finally {
        inPoolGrad = false;
      }
    };
    wasm._malloc = (n: number) => {
      if (inPoolGrad) sizes.push(n);
      return malloc.call(wasm, n);
    };
    try {
      tf.dispose(tf.grad(grad)(x));
    } finally {
      wasm._malloc = malloc;
      engine.runKernelFunc = run;
    }
    assertEquals(sizes, [x.size * 4], "one allocation, dx's");
    tf.dispose([x, dy]);
  },
});

Deno.test({
  name: "a conv-net gradient on wasm leaks no tensors and no backend buffers",
  ...BACKEND_TEST,
  fn: async () => {
    await initBackend("wasm", () => {});
    const x = rand([2, 16, 16, 3], 1);
    const weights = [rand([7, 7, 3, 8], 2), rand([3, 3, 8, 8], 3), rand([1, 1, 8, 4], 4)];
    const gamma = tf.ones([8]), beta = tf.zeros([8]);
    const step = () =>
      tf.grads((w1: tf.Tensor, w2: tf.Tensor, w3: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        const conv = tf.conv2d(x as tf.Tensor4D, w1 as tf.Tensor4D, 2, "same"); // [2, 8, 8, 8]
        const { mean, variance } = tf.moments(conv, [0, 1, 2]);
        const h = tf.relu(tf.batchNorm(conv, mean, variance, b, g, 1e-5)) as tf.Tensor4D;
        const low = tf.maxPool(h as tf.Tensor4D, 2, 2, "valid"); // [2, 4, 4, 8]
        const up = tf.image.resizeNearestNeighbor(
          tf.conv2d(low, w2 as tf.Tensor4D, 1, "same"),
          [8, 8],
        );
        const out = tf.conv2d(tf.add(h, up) as tf.Tensor4D, w3 as tf.Tensor4D, 1, "same");
        return tf.sigmoid(out).square().mean();
      })([...weights, gamma, beta]);
    tf.dispose(step()); // warm-up: lets the backend create its cached objects
    const buffersBefore = tf.memory().numDataBuffers;
    const returned = await assertNoLeaks(step, "conv-net gradient");
    assertEquals(returned, 5);
    assertEquals(tf.memory().numDataBuffers, buffersBefore, "backend buffers leaked");
    tf.dispose([x, ...weights, gamma, beta]);
  },
});

Deno.test("a transpose merges axes that stay together and drops size-1 axes", () => {
  assertEquals(mergeTransposeAxes([4, 64, 64, 32], [3, 0, 1, 2]), {
    shape: [16384, 32],
    perm: [1, 0],
  });
  assertEquals(mergeTransposeAxes([12, 67, 2, 67, 2], [2, 4, 0, 1, 3]), {
    shape: [804, 2, 67, 2],
    perm: [1, 3, 0, 2],
  });
  assertEquals(mergeTransposeAxes([1, 6, 1, 5], [2, 1, 0, 3]), { shape: [30], perm: [0] });
  assertEquals(mergeTransposeAxes([2, 3, 4], [0, 2, 1]), { shape: [2, 3, 4], perm: [0, 2, 1] });
});
