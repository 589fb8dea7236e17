/**
 * Rounding-noise runs for `deno task parity`: how far apart runs that differ only in float32
 * rounding end up, so that the kit's distance from PyTorch can be read against it.
 *
 * - `TWIN_VARIANTS`: the PyTorch twin again in float32 with another summation order (2 threads,
 *   or convolutions without oneDNN), on the same batches from the same weights.
 * - `replayKit`: the kit again on the batches and initial weights a parity run recorded (another
 *   backend, thread count or convolution library, chosen by the caller's environment).
 * - `compareRuns`: every run in a parity directory against the float64 twin, step by step, and
 *   (optionally) each final network's validation PCKh from the kit's evaluator.
 *
 * ```
 * deno task parity --model hourglass --steps 1000 --eval --keep D --twin-variant threads-2
 * KIT_NATIVE_THREADS=1 deno task parity --replay D/hourglass --tag kit-native-1thread
 * deno task parity --compare D/hourglass --eval
 * ```
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { join } from "@std/path";
import { validate } from "../lib/eval/validate.ts";
import { openPipeline } from "../lib/data/pipeline.ts";
import { KitError } from "../lib/io/errors.ts";
import { buildModel } from "../lib/models/mod.ts";
import { Progress } from "../lib/progress/mod.ts";
import type { ExperimentConfig } from "../lib/train/config.ts";
import { makeOptimizer, setLearningRate } from "../lib/train/optimizer.ts";
import { trainStep } from "../lib/train/step.ts";
import { exportWeights, importWeights, type WeightEntry } from "./parity.ts";

/** Extra float32 runs of the twin (`--twin-variant`): name -> bench/torch_parity.py arguments. */
export const TWIN_VARIANTS = {
  /** PyTorch on 2 threads: oneDNN splits its reductions differently. */
  "threads-2": ["--threads", "2"],
  /** Convolutions by PyTorch's own im2col + GEMM instead of oneDNN. */
  "no-mkldnn": ["--no-mkldnn"],
} as const;

/** A `--twin-variant` value. */
export type TwinVariant = keyof typeof TWIN_VARIANTS;

/** The name under which a variant's files are written: `torch-<variant>`. */
export const variantTag = (v: TwinVariant) => `torch-${v}`;

/** What a parity run wrote to its directory's `manifest.json` (the parts read back here). */
interface Manifest {
  readonly model: unknown;
  readonly lrs: number[];
  readonly batch: { images: number[]; targets: number[][]; weights: number[] };
  readonly weights: WeightEntry[];
}

async function readManifest(dir: string, cfg: ExperimentConfig): Promise<Manifest> {
  const file = join(dir, "manifest.json");
  let m: Manifest;
  try {
    m = JSON.parse(await Deno.readTextFile(file));
  } catch (e) {
    throw new KitError(`${file}: not a parity run's manifest (${(e as Error).message})`);
  }
  if (JSON.stringify(m.model) !== JSON.stringify(cfg.model)) {
    throw new KitError(
      `${file}: recorded for another model than --config/--set give (pass the run's options)`,
    );
  }
  return m;
}

async function readExactly(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let done = 0; done < bytes.length;) {
    const n = await file.read(bytes.subarray(done));
    if (n === null) throw new KitError("batches.bin ended early");
    done += n;
  }
}

const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

async function readFloats(file: Deno.FsFile, shape: readonly number[]): Promise<Float32Array> {
  const bytes = new Uint8Array(4 * count(shape));
  await readExactly(file, bytes);
  return new Float32Array(bytes.buffer);
}

/**
 * Trains the kit once more on the batches a parity run recorded in `dir`, from its initial
 * weights and with its learning rates, on whatever backend is active; writes
 * `<tag>_result.json` (losses) and `<tag>_weights.bin` (final weights, table order).
 *
 * @example
 * ```ts
 * await replayKit(cfg, "/tmp/p/hourglass", "kit-cpu"); // after initBackend("cpu")
 * ```
 */
export async function replayKit(
  cfg: ExperimentConfig,
  dir: string,
  tag: string,
  description = tf.getBackend(),
): Promise<number[]> {
  const m = await readManifest(dir, cfg);
  const net = buildModel(cfg.model, { seed: cfg.seed });
  const initial = new Float32Array((await Deno.readFile(join(dir, "weights.bin"))).buffer);
  importWeights(net, m.weights, initial);
  const optimizer = makeOptimizer(cfg.optimizer);
  const file = await Deno.open(join(dir, "batches.bin"));
  const progress = new Progress({ total: m.lrs.length, unit: "steps", label: `replay ${tag}` });
  const losses: number[] = [];
  const t0 = performance.now();
  try {
    for (const lr of m.lrs) {
      setLearningRate(optimizer, lr);
      const images = tf.tensor4d(
        await readFloats(file, m.batch.images),
        m.batch.images as [number, number, number, number],
      );
      const targets: tf.Tensor4D[] = [];
      for (const s of m.batch.targets) {
        targets.push(tf.tensor4d(await readFloats(file, s), s as [number, number, number, number]));
      }
      const weights = tf.tensor2d(
        await readFloats(file, m.batch.weights),
        m.batch.weights as [number, number],
      );
      try {
        const r = await trainStep(net, optimizer, { images, targets, weights }, cfg.loss);
        losses.push(r.loss);
        progress.tick(1, { loss: r.loss });
      } finally {
        tf.dispose([images, ...targets, weights]);
      }
    }
  } finally {
    file.close();
    optimizer.dispose();
    progress.done();
  }
  const seconds = (performance.now() - t0) / 1000;
  const { values } = await exportWeights(net);
  net.graph.dispose();
  await Deno.writeFile(join(dir, `${tag}_weights.bin`), new Uint8Array(values.buffer));
  await Deno.writeTextFile(
    join(dir, `${tag}_result.json`),
    JSON.stringify({ losses, seconds, backend: description }),
  );
  return losses;
}

/** One run of a parity directory against the float64 twin. */
export interface RunComparison {
  /** `kit`, `torch`, `torch64`, `torch-threads-2`, a replay's tag, ... */
  readonly tag: string;
  readonly lastLoss: number;
  /** |run - torch64| / |torch64| at the last step. */
  readonly lastRelDiff: number;
  /** Median of |run - torch64| / |torch64| over steps 1-10, 11-100 and 101-end. */
  readonly medianRelDiff: readonly [number, number, number];
  /** First step (1-based) whose loss is more than 1e-3 relative from the float64 twin's; 0 if none. */
  readonly firstAbove1e3: number;
  /** Validation PCKh@0.5 Mean of the final network (the kit's evaluator), when scored. */
  readonly pckh?: number;
}

function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const h = Math.floor(s.length / 2);
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

/**
 * Reads every `<tag>_result.json` with its `<tag>_weights.bin` in `dir` and compares each run's
 * losses with the float64 twin's; with `score`, also each final network's validation PCKh.
 *
 * @example
 * ```ts
 * const rows = await compareRuns(cfg, "/tmp/p/hourglass", { score: true });
 * rows.find((r) => r.tag === "torch64")?.pckh;
 * ```
 */
export async function compareRuns(
  cfg: ExperimentConfig,
  dir: string,
  opts: { score?: boolean } = {},
): Promise<RunComparison[]> {
  const m = await readManifest(dir, cfg);
  const tags: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const tag = e.name.match(/^(.+)_result\.json$/)?.[1];
    if (tag) tags.push(tag);
  }
  const order = (t: string) => (t === "torch64" ? 0 : t.startsWith("torch") ? 1 : 2);
  tags.sort((a, b) => order(a) - order(b) || a.localeCompare(b));
  if (!tags.includes("torch64")) {
    throw new KitError(`${dir}: no torch64_result.json (run parity without --skip-float64)`);
  }
  const losses = new Map<string, number[]>();
  for (const t of tags) {
    const r = JSON.parse(await Deno.readTextFile(join(dir, `${t}_result.json`)));
    losses.set(t, (r.losses as (number | null)[]).map((x) => x ?? NaN));
  }
  const ref = losses.get("torch64")!;
  const val = opts.score
    ? await openPipeline(cfg.data, "val", { mode: "eval", batchSize: cfg.eval.batchSize })
    : undefined;
  const rows: RunComparison[] = [];
  try {
    for (const tag of tags) {
      const l = losses.get(tag)!;
      const rel = l.map((x, i) => Math.abs(x - ref[i]!) / Math.abs(ref[i]!));
      let pckh: number | undefined;
      if (val) {
        const net = buildModel(cfg.model);
        const values = new Float32Array(
          (await Deno.readFile(join(dir, `${tag}_weights.bin`))).buffer,
        );
        importWeights(net, m.weights, values);
        pckh = (await validate(net, cfg, val, { label: `validate ${tag}` })).result.mean ?? NaN;
        net.graph.dispose();
      }
      rows.push({
        tag,
        lastLoss: l[l.length - 1]!,
        lastRelDiff: rel[rel.length - 1]!,
        medianRelDiff: [
          median(rel.slice(0, 10)),
          median(rel.slice(10, 100)),
          median(rel.slice(100)),
        ],
        firstAbove1e3: rel.findIndex((d) => d > 1e-3) + 1,
        ...(pckh === undefined ? {} : { pckh }),
      });
    }
  } finally {
    val?.close();
  }
  return rows;
}

/**
 * The comparison as a table, with the spread of the PyTorch runs' PCKh and where the kit's
 * runs sit in it.
 *
 * @example
 * ```ts
 * console.log(formatComparison(await compareRuns(cfg, dir, { score: true })));
 * ```
 */
export function formatComparison(rows: readonly RunComparison[]): string {
  const sci = (x: number) => (Number.isFinite(x) ? x.toExponential(2) : "-");
  const lines = [
    "  run                     last loss   vs torch64: last   median 1-10  11-100   101-end   first > 1e-3   PCKh",
  ];
  for (const r of rows) {
    lines.push(
      `  ${r.tag.padEnd(22)}  ${r.lastLoss.toPrecision(6).padEnd(10)}  ${
        sci(r.lastRelDiff).padEnd(16)
      }  ${r.medianRelDiff.map((x) => sci(x).padEnd(8)).join(" ")}  ${
        String(r.firstAbove1e3 || "-").padEnd(13)
      }  ${r.pckh === undefined ? "-" : r.pckh.toFixed(2)}`,
    );
  }
  const scored = rows.filter((r) => r.pckh !== undefined);
  const torch = scored.filter((r) => r.tag.startsWith("torch")).map((r) => r.pckh!);
  const kit = scored.filter((r) => !r.tag.startsWith("torch")).map((r) => r.pckh!);
  if (torch.length > 1) {
    const lo = Math.min(...torch), hi = Math.max(...torch);
    lines.push(
      `  PyTorch runs (float32/float64, summation orders): PCKh ${lo.toFixed(2)}-${
        hi.toFixed(2)
      }, spread ${(hi - lo).toFixed(2)} points`,
    );
    if (kit.length > 0) {
      const far = Math.max(...kit.map((k) => Math.max(lo - k, k - hi, 0)));
      lines.push(
        `  kit runs: ${kit.map((k) => k.toFixed(2)).join(", ")}; ` +
          (far === 0
            ? "all inside the PyTorch runs' range"
            : `at most ${far.toFixed(2)} points outside the PyTorch runs' range`),
      );
    }
  }
  return lines.join("\n");
}
