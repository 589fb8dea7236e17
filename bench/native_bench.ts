/**
 * `deno run -A bench/native_bench.ts [--threads N] [--runs R]`: one layer of the hourglass,
 * native (oneDNN through FFI) against plain wasm (XNNPACK) in the same process, alternating, min
 * and median of R runs each: the forward convolution with bias and ReLU, its input gradient, its
 * filter gradient, and a batch normalisation with given statistics. When OpenBLAS
 * (`libopenblas.so.0`) is present it also times the BLAS route considered instead of oneDNN: the
 * forward 3x3 convolution as nine shifted GEMMs on a padded NHWC input (no im2col copy; the pad
 * itself is not timed, so this favours BLAS).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "@std/cli/parse-args";
import { initBackend } from "../lib/backend/select.ts";
import { setWasmThreads } from "../lib/backend/wasm_threads.ts";
import { setNativeKernelsEnabled, setNativeThreads } from "../lib/backend/native.ts";
import { nativeBatchNormTraining } from "../lib/backend/native_bnorm_train.ts";
import { batchNormTraining } from "../lib/models/batchnorm.ts";

/** min and median ms of `runs` calls of `fn`. */
function timeIt(fn: () => void, runs: number): { min: number; median: number } {
  fn(); // build (oneDNN primitives, XNNPACK packing)
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { min: ms[0]!, median: ms[Math.floor(runs / 2)]! };
}

function openBlasConv(
  b: number,
  h: number,
  c: number,
  runs: number,
  threads: number,
): { min: number; median: number } | string {
  let lib;
  try {
    lib = Deno.dlopen("libopenblas.so.0", {
      cblas_sgemm: {
        parameters: [
          "i32",
          "i32",
          "i32",
          "i32",
          "i32",
          "i32",
          "f32",
          "buffer",
          "i32",
          "buffer",
          "i32",
          "f32",
          "buffer",
          "i32",
        ],
        result: "void",
      },
      openblas_set_num_threads: { parameters: ["i32"], result: "void" },
    });
  } catch (e) {
    return `OpenBLAS not loaded: ${(e as Error).message}`;
  }
  lib.symbols.openblas_set_num_threads(threads);
  const wp = h + 2; // padded width = height
  const xp = new Float32Array(b * wp * wp * c + 3 * wp * c).map(() => Math.random());
  const w = new Float32Array(9 * c * c).map(() => Math.random());
  const y = new Float32Array(b * wp * wp * c);
  // Output rows over the padded grid ("wide rows"); the pad columns are computed and dropped.
  const m = b * wp * wp - 2 * wp - 2;
  const RowMajor = 101, NoTrans = 111;
  const t = timeIt(() => {
    for (let tap = 0; tap < 9; tap++) {
      const i = Math.floor(tap / 3), j = tap % 3;
      lib.symbols.cblas_sgemm(
        RowMajor,
        NoTrans,
        NoTrans,
        m,
        c,
        c,
        1,
        xp.subarray((i * wp + j) * c),
        c,
        w.subarray(tap * c * c),
        c,
        tap ? 1 : 0,
        y,
        c,
      );
    }
  }, runs);
  lib.close();
  return t;
}

async function main() {
  const flags = parseArgs(Deno.args, { string: ["threads", "runs"] });
  const threads = Number(flags.threads ?? 1), runs = Number(flags.runs ?? 10);
  setWasmThreads(threads);
  setNativeThreads(threads);
  const choice = await initBackend("wasm", (l) => console.log(l));
  if (!choice.native?.loaded) throw new Error("oneDNN did not load; nothing to compare");
  const [b, h, c] = [4, 64, 64];
  const x = tf.randomUniform([b, h, h, c], -1, 1, "float32", 1) as tf.Tensor4D;
  const f = tf.randomUniform([3, 3, c, c], -1, 1, "float32", 2) as tf.Tensor4D;
  const bias = tf.randomUniform([c], -1, 1, "float32", 3) as tf.Tensor1D;
  const dy = tf.randomUniform([b, h, h, c], -1, 1, "float32", 4) as tf.Tensor4D;
  const v = tf.randomUniform([c], 0.5, 1.5, "float32", 5) as tf.Tensor1D;
  const cases: [string, () => tf.Tensor][] = [
    [
      "forward 3x3 + bias + relu",
      () => tf.fused.conv2d({ x, filter: f, strides: 1, pad: "same", bias, activation: "relu" }),
    ],
    ["input gradient 3x3", () => tf.conv2dTranspose(dy, f, [b, h, h, c], 1, "same")],
    ["filter gradient 3x3", () =>
      tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, {
        strides: [1, 1],
        pad: "same",
        dataFormat: "NHWC",
        filterShape: [3, 3, c, c],
      }) as tf.Tensor],
    ["batch norm (given statistics)", () => tf.batchNorm(x, bias, v, bias, v, 1e-3)],
  ];
  const fmt = (t: { min: number; median: number }) =>
    `${t.min.toFixed(2)} / ${t.median.toFixed(2)} ms`;
  console.log(
    `[${b}, ${h}, ${h}, ${c}], ${threads} thread(s), min / median of ${runs}, ` +
      `load ${Deno.loadavg()[0]}`,
  );
  for (const [label, op] of cases) {
    const run = (on: boolean) => {
      setNativeKernelsEnabled(on);
      // Kernels on wasm run synchronously: the time is the kernel's, without a read-back.
      return timeIt(() => op().dispose(), runs);
    };
    // Alternate, twice each, and keep each path's best.
    const [n1, w1, n2, w2] = [run(true), run(false), run(true), run(false)];
    const best = (p: typeof n1, q: typeof n1) => (p.min < q.min ? p : q);
    const native = best(n1, n2), wasm = best(w1, w2);
    console.log(
      `${label.padEnd(32)} oneDNN ${fmt(native)}   wasm ${fmt(wasm)}   ` +
        `wasm/oneDNN ${(wasm.min / native.min).toFixed(2)}x`,
    );
  }
  setNativeKernelsEnabled(true);
  // One training batch normalisation, forward and backward: lib/models' closed form (about 25
  // kernel calls) on wasm against the two native kernels.
  const gamma = v, beta = bias;
  const bnStep = (native: boolean) => () => {
    const g = tf.grads((x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const r = native
        ? nativeBatchNormTraining(x, g as tf.Tensor1D, b as tf.Tensor1D, 1e-3)!
        : batchNormTraining(x, g as tf.Tensor1D, b as tf.Tensor1D, 1e-3);
      tf.dispose([r.mean, r.variance]);
      return r.y.mul(dy).sum();
    })([x, gamma, beta]);
    tf.dispose(g);
  };
  const calls = async (native: boolean) =>
    (await tf.profile(() => bnStep(native)())).kernels.length;
  const [nativeCalls, wasmCalls] = [await calls(true), await calls(false)];
  const [n1, w1, n2, w2] = [true, false, true, false].map((on) => timeIt(bnStep(on), runs));
  const bestOf = (p: typeof n1, q: typeof n1) => (p!.min < q!.min ? p! : q!);
  const [bnN, bnW] = [bestOf(n1, n2), bestOf(w1, w2)];
  console.log(
    `${"train batch norm, fwd + bwd".padEnd(32)} oneDNN ${fmt(bnN)} (${nativeCalls} kernel ` +
      `calls)   closed form on wasm ${fmt(bnW)} (${wasmCalls} calls)   ` +
      `ratio ${(bnW.min / bnN.min).toFixed(2)}x (both with the test loss's Mul and Sum)`,
  );
  const blas = openBlasConv(b, h, c, runs, threads);
  console.log(
    `${"forward 3x3, OpenBLAS 9 GEMMs".padEnd(32)} ${
      typeof blas === "string" ? blas : `OpenBLAS ${fmt(blas)} (no bias, no relu, pad untimed)`
    }`,
  );
}

if (import.meta.main) await main();
