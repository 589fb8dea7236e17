/**
 * Kernel benchmark for the CPU training path (issue 8): times a training step and an inference
 * pass of a stacked hourglass on a tfjs backend, and optionally where the time goes per kernel.
 *
 * The network here is a STAND-IN for measuring kernels only (built from tf.layers like
 * lib/models, same layer sequence and shapes as bench/torch_hourglass.py); the kit's model is
 * lib/models, and `deno task bench` is the benchmark users run.
 *
 * ```
 * deno run -A bench/wasm_kernels_bench.ts --backend wasm --stacks 2 --features 64 --batch 4 \
 *   --size 128 [--threads 2] [--only train|infer] [--profile]
 * ```
 *
 * Prints one JSON line (and with --profile a per-kernel table of one training step).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "@std/cli/parse-args";
import process from "node:process";
import { initBackend, parseBackend } from "../lib/backend/mod.ts";
import { setWasmThreads } from "../lib/backend/wasm_threads.ts";

const JOINTS = 16;
const BN = { momentum: 0.9, epsilon: 1e-5, axis: -1 };

function conv(filters: number, kernel: number, strides = 1, padding: "same" | "valid" = "same") {
  return tf.layers.conv2d({ filters, kernelSize: kernel, strides, padding, useBias: true });
}

/** Pre-activation bottleneck residual (see bench/torch_hourglass.py). */
function residual(inC: number, outC: number) {
  const mid = outC / 2;
  const layers = [
    tf.layers.batchNormalization(BN),
    conv(mid, 1),
    tf.layers.batchNormalization(BN),
    conv(mid, 3),
    tf.layers.batchNormalization(BN),
    conv(outC, 1),
  ];
  const skip = inC === outC ? undefined : conv(outC, 1);
  return (x: tf.Tensor, training: boolean): tf.Tensor => {
    let h = x;
    for (let i = 0; i < layers.length; i += 2) {
      h = layers[i]!.apply(h, { training }) as tf.Tensor;
      h = tf.relu(h);
      h = layers[i + 1]!.apply(h) as tf.Tensor;
    }
    return tf.add(h, skip ? skip.apply(x) as tf.Tensor : x);
  };
}

function hourglass(n: number, f: number): (x: tf.Tensor, training: boolean) => tf.Tensor {
  const up1 = residual(f, f);
  const pool = tf.layers.maxPooling2d({ poolSize: 2, strides: 2 });
  const low1 = residual(f, f);
  const low2 = n > 1 ? hourglass(n - 1, f) : residual(f, f);
  const low3 = residual(f, f);
  const up = tf.layers.upSampling2d({ size: [2, 2], interpolation: "nearest" });
  return (x, training) => {
    const low = low3(low2(low1(pool.apply(x) as tf.Tensor, training), training), training);
    return tf.add(up1(x, training), up.apply(low) as tf.Tensor);
  };
}

function stackedHourglass(stacks: number, f: number) {
  const pad = tf.layers.zeroPadding2d({ padding: 3 });
  const stemConv = conv(64, 7, 2, "valid");
  const stemBn = tf.layers.batchNormalization(BN);
  const stemRes = [residual(64, 128), residual(128, 128), residual(128, f)];
  const pool = tf.layers.maxPooling2d({ poolSize: 2, strides: 2 });
  const hgs = Array.from({ length: stacks }, () => hourglass(4, f));
  const res = Array.from({ length: stacks }, () => residual(f, f));
  const feat = Array.from({ length: stacks }, () => conv(f, 1));
  const featBn = Array.from({ length: stacks }, () => tf.layers.batchNormalization(BN));
  const pred = Array.from({ length: stacks }, () => conv(JOINTS, 1));
  const mergeFeat = Array.from({ length: stacks - 1 }, () => conv(f, 1));
  const mergePred = Array.from({ length: stacks - 1 }, () => conv(f, 1));
  return (input: tf.Tensor, training: boolean): tf.Tensor[] => {
    let x = stemConv.apply(pad.apply(input)) as tf.Tensor;
    x = tf.relu(stemBn.apply(x, { training }) as tf.Tensor);
    x = stemRes[0]!(x, training);
    x = pool.apply(x) as tf.Tensor;
    x = stemRes[2]!(stemRes[1]!(x, training), training);
    const preds: tf.Tensor[] = [];
    for (let i = 0; i < stacks; i++) {
      const h = res[i]!(hgs[i]!(x, training), training);
      const fe = tf.relu(featBn[i]!.apply(feat[i]!.apply(h), { training }) as tf.Tensor);
      const p = pred[i]!.apply(fe) as tf.Tensor;
      preds.push(p);
      if (i < stacks - 1) {
        x = tf.addN([x, mergeFeat[i]!.apply(fe) as tf.Tensor, mergePred[i]!.apply(p) as tf.Tensor]);
      }
    }
    return preds;
  };
}

/** Wraps every kernel of `backend` with a timer; returns the totals and a way to undo it. */
function profileKernels(backend: string) {
  const total = new Map<string, { ms: number; calls: number }>();
  const stack: string[] = [];
  const undo: (() => void)[] = [];
  for (const config of tf.getKernelsForBackend(backend)) {
    const original = config.kernelFunc;
    const name = config.kernelName;
    (config as { kernelFunc: tf.KernelFunc }).kernelFunc = (args) => {
      const key = stack.length ? `${stack[stack.length - 1]} > ${name}` : name;
      stack.push(name);
      const t0 = performance.now();
      try {
        return original(args);
      } finally {
        const dt = performance.now() - t0;
        stack.pop();
        const entry = total.get(key) ?? { ms: 0, calls: 0 };
        entry.ms += dt;
        entry.calls++;
        total.set(key, entry);
      }
    };
    undo.push(() => (config as { kernelFunc: tf.KernelFunc }).kernelFunc = original);
  }
  return { total, undo: () => undo.forEach((u) => u()) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

if (import.meta.main) {
  const args = parseArgs(Deno.args, {
    string: [
      "backend",
      "stacks",
      "features",
      "batch",
      "size",
      "steps",
      "warmup",
      "threads",
      "only",
    ],
    boolean: ["profile"],
    default: {
      backend: "wasm",
      stacks: "2",
      features: "64",
      batch: "4",
      size: "128",
      steps: "5",
      warmup: "2",
    },
  });
  const num = (k: keyof typeof args) => Number(args[k]);
  if (args.threads !== undefined) setWasmThreads(num("threads"));
  const choice = await initBackend(parseBackend(args.backend), () => {});
  const [stacks, f, b, size] = [num("stacks"), num("features"), num("batch"), num("size")];
  const model = stackedHourglass(stacks, f);
  const x = tf.randomUniform([b, size, size, 3]);
  const target = tf.randomUniform([b, size / 4, size / 4, JOINTS]);
  const optimizer = tf.train.rmsprop(2.5e-4);
  const lossFn = () =>
    tf.addN(model(x, true).map((p) => tf.losses.meanSquaredError(target, p))) as tf.Scalar;
  tf.tidy(() => model(x, false)); // creates the variables
  const params = tf.engine().state.registeredVariables;
  const nParams = Object.values(params).reduce((n, v) => n + (v.trainable ? v.size : 0), 0);

  const trainStep = async () => {
    const loss = optimizer.minimize(lossFn, true)!;
    await loss.data();
    loss.dispose();
  };
  const infer = async () => {
    const out = tf.tidy(() => model(x, false).at(-1)!);
    await out.data();
    out.dispose();
  };
  let tensorsAfterWarmup = 0;
  // Wall time, and the process's CPU time (all threads): on a shared machine the CPU time of
  // a single-threaded run stays close to its wall time on an idle one.
  const time = async (fn: () => Promise<void>) => {
    for (let i = 0; i < num("warmup"); i++) await fn();
    tensorsAfterWarmup = tf.memory().numTensors;
    const wall: number[] = [], cpu: number[] = [];
    for (let i = 0; i < num("steps"); i++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await fn();
      wall.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000);
    }
    return { wall, cpu };
  };
  const skip = { wall: [NaN], cpu: [NaN] };
  const train = args.only === "infer" ? skip : await time(trainStep);
  // After warm-up: the first step creates the optimizer's slots.
  const tensorsLeaked = tf.memory().numTensors - tensorsAfterWarmup;
  const inferTimes = args.only === "train" ? skip : await time(infer);
  const threads = choice.backend === "wasm"
    ? (tf.backend() as unknown as { wasm: { tfjs: { getThreadsCount(): number } } }).wasm.tfjs
      .getThreadsCount()
    : 1;
  console.log(JSON.stringify({
    model: "hourglass-standin",
    backend: `tfjs-${choice.backend}`,
    threads,
    stacks,
    features: f,
    params: nParams,
    trainStepMs: +median(train.wall).toFixed(1),
    trainStepMinMs: +Math.min(...train.wall).toFixed(1),
    trainStepCpuMs: +median(train.cpu).toFixed(1),
    inferMs: +median(inferTimes.wall).toFixed(1),
    inferMinMs: +Math.min(...inferTimes.wall).toFixed(1),
    inferCpuMs: +median(inferTimes.cpu).toFixed(1),
    load: +(Deno.loadavg()[0] ?? 0).toFixed(2),
    batch: b,
    size,
    steps: num("steps"),
    tensorsLeakedPerStep: args.only === "infer" ? null : tensorsLeaked / num("steps"),
  }));

  if (args.profile) {
    for (const [label, fn] of [["train step", trainStep], ["inference", infer]] as const) {
      const prof = profileKernels(choice.backend);
      const t0 = performance.now();
      await fn();
      const wall = performance.now() - t0;
      prof.undo();
      const rows = [...prof.total].sort((p, q) => q[1].ms - p[1].ms);
      const top = rows.filter(([k]) => !k.includes(" > ")).reduce((s, [, v]) => s + v.ms, 0);
      console.log(`\n${label}: wall ${wall.toFixed(0)} ms, in kernels ${top.toFixed(0)} ms`);
      for (const [k, v] of rows.slice(0, 40)) {
        console.log(`${v.ms.toFixed(1).padStart(9)} ms ${String(v.calls).padStart(5)}x  ${k}`);
      }
    }
  }
}
