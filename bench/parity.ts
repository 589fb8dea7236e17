/**
 * `deno task parity`: proof that a kit training run is the run PyTorch would make. For each model
 * kind it builds the kit's network, records N training batches from the kit's pipeline while the
 * kit trains on them, then trains the PyTorch twin (bench/torch_parity.py on
 * bench/torch_hourglass.py's network) from the same initial weights (NHWC/HWIO copied to
 * NCHW/OIHW, BatchNorm moving statistics included) on exactly those batches, with the kit's loss
 * (per stack and scale, Eq. 2, MSSH weights), the kit's RMSprop rule and BatchNorm in training
 * mode. It prints both loss sequences with their relative difference per step and the largest
 * weight difference after the run; with `--eval`, the validation PCKh of both final networks
 * (the twin's weights copied back and scored by the kit's evaluator).
 *
 * ```
 * deno task parity                                    # hourglass, mss-msr (Eq. 2), mssh; 20 steps
 * deno task parity --model hourglass --steps 1000 --eval --every 50
 * deno task parity --model hourglass --steps 1000 --eval --keep D --twin-variant no-mkldnn
 * KIT_NATIVE=0 deno task parity --replay D/hourglass --tag kit-xnnpack   # the kit again
 * deno task parity --compare D/hourglass --eval   # every kept run against float64, with PCKh
 * ```
 *
 * The last three measure float32 rounding noise: runs that differ only in summation order
 * (bench/parity_compare.ts).
 *
 * Data goes through files: `manifest.json`, `weights.bin`, `batches.bin` (raw float32) in a
 * temporary directory (`--keep DIR` keeps them), and the twin's `torch_result.json` and
 * `torch_weights.bin`.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { basename, join } from "@std/path";
import {
  BACKEND_CHOICES,
  type BackendRequest,
  describeChoice,
  initBackend,
} from "../lib/backend/select.ts";
import { choiceFlag, numberFlag, parseFlags, runMain } from "../lib/cli/args.ts";
import { openPipeline } from "../lib/data/pipeline.ts";
import { KitError } from "../lib/io/errors.ts";
import { paperLoss } from "../lib/losses/config.ts";
import {
  buildModel,
  MODEL_KINDS,
  modelDefaults,
  type ModelKind,
  modelSize,
  type PoseModel,
  resolveModelConfig,
} from "../lib/models/mod.ts";
import { Progress } from "../lib/progress/mod.ts";
import { STRUCTURE_GROUPS } from "../lib/skeleton/structure.ts";
import { type ExperimentConfig, loadExperiment } from "../lib/train/config.ts";
import { validate } from "../lib/eval/validate.ts";
import { makeOptimizer, setLearningRate } from "../lib/train/optimizer.ts";
import { learningRate, stageAt } from "../lib/train/schedule.ts";
import { trainStep } from "../lib/train/step.ts";
import {
  compareRuns,
  formatComparison,
  replayKit,
  TWIN_VARIANTS,
  type TwinVariant,
  variantTag,
} from "./parity_compare.ts";
import { findTorchPython } from "./torch.ts";

const DEFAULT_CONFIG = new URL("../configs/synth_hourglass_tiny.json", import.meta.url).pathname;
const SCRIPT = new URL("./torch_parity.py", import.meta.url).pathname;

const USAGE = `usage: deno task parity [options]
  --model K         hourglass, mss, mss-msr or mssh; repeat for several
                    (default: hourglass, mss-msr with Eq. 2, mssh with adaptive weights)
  --config FILE     experiment file the runs start from (default configs/synth_hourglass_tiny.json)
  --set key=value   override a key of the experiment (repeatable), e.g. optimizer.lr=2.5e-4
  --steps N         training steps compared (default 20)
  --eval            also score both final networks on the validation split (PCKh)
  --every N         print every N-th step in the table (default: every step up to 40 steps)
  --backend B       auto|webgpu|wasm|cpu for the kit (default auto)
  --threads N       PyTorch CPU threads (default 1)
  --skip-float64    skip the float64 run of the twin (the float32 rounding floor)
  --twin-variant V  also train the float32 twin with another summation order: threads-2
                    (2 PyTorch threads) or no-mkldnn (im2col + GEMM convolutions); repeatable
  --replay DIR      train the kit again on the batches and initial weights a run kept in DIR
                    (DIR = the --keep directory/model kind), on this --backend; saved as --tag
  --tag NAME        the replay's name in DIR (default kit-<backend>)
  --compare DIR     every run kept in DIR against the float64 twin; with --eval, their PCKh
  --keep DIR        write the exchanged files in DIR and keep them (default: a temporary dir)
  --json            print the results as one JSON line at the end`;

/** One weight of the exchanged table, in the kit's layout. */
export interface WeightEntry {
  /** `layer/field`, e.g. `stem.conv/kernel`, `stem.bn/moving_mean`. */
  readonly name: string;
  readonly shape: readonly number[];
  /** Offset in float32 values. */
  readonly offset: number;
}

/** The comparison of one model kind. */
export interface ParityResult {
  readonly kind: ModelKind;
  readonly steps: number;
  readonly kitLosses: readonly number[];
  readonly torchLosses: readonly number[];
  /** |kit - torch| / |torch| per step. */
  readonly relDiff: readonly number[];
  /** Largest |kit - torch| over learnable weights after the run, and where. */
  readonly maxWeightDiff: { readonly value: number; readonly name: string };
  /** The same over BatchNorm's moving statistics. */
  readonly maxStatDiff: { readonly value: number; readonly name: string };
  readonly pckh?: { readonly kit: number; readonly torch: number };
  /** The twin in float64, when run: its losses and how far the float32 runs are from it. */
  readonly floor?: {
    readonly losses: readonly number[];
    /** |torch32 - torch64| / |torch64| per step: PyTorch's own float32 drift. */
    readonly relDiff: readonly number[];
    /** |kit - torch64| / |torch64| per step. */
    readonly kitRelDiff: readonly number[];
    /** Largest |torch32 - torch64| over learnable weights after the run. */
    readonly maxWeightDiff: { readonly value: number; readonly name: string };
  };
  readonly torch: string;
  readonly backend: string;
  readonly kitSeconds: number;
  readonly torchSeconds: number;
}

/**
 * The experiment a parity run of `kind` trains: `base` with that model at the same size
 * (2-stack hourglass-sized), its paper's loss (`paperLoss`: Eq. 2 everywhere for mss-msr, MSSH
 * adaptive weights for mssh) and the target pyramid its heads need.
 *
 * @example
 * ```ts
 * const cfg = parityExperiment(await loadExperiment("configs/synth_hourglass_tiny.json"), "mssh");
 * cfg.loss.adaptive; // true
 * ```
 */
export function parityExperiment(base: ExperimentConfig, kind: ModelKind): ExperimentConfig {
  const m = base.model;
  // Heads down to the coarsest whole level: 1/4 of the output side for depth 3 (as in the
  // recorded ablation), 1/8 for depth 4 and more.
  const factors = [1, 2, 4, 8].filter((f) => f <= 2 ** (m.depth - 1));
  const override: Record<string, unknown> = { kind, ...modelSize(m) };
  if (kind === "mss" || kind === "mss-msr") override.factors = factors;
  if (kind === "mss-msr") {
    override.msr = { features: m.features, depth: m.depth, residuals: 1, factors };
  }
  if (kind === "mssh") {
    override.features = Math.ceil(m.features / 4) * 4;
    override.scales = Math.min(3, m.stacks);
    // The twin dispatches each pre-processing scale into one stack ("spread"); kits that also
    // offer "every" get the twin's routing.
    if ("dispatch" in modelDefaults("mssh")) override.dispatch = "spread";
  }
  // Resolved like a config file: keys this kit has but the override lacks get their defaults.
  const model = resolveModelConfig(override);
  const pyramid = kind === "mss" || kind === "mss-msr" ? factors : base.data.pyramidFactors;
  return {
    ...base,
    model,
    loss: paperLoss(kind),
    data: { ...base.data, pyramidFactors: pyramid },
  };
}

/**
 * Every weight of the model (BatchNorm moving statistics included) as one float32 vector in
 * the kit's layout, and the table naming each piece.
 *
 * @example
 * ```ts
 * const { table, values } = await exportWeights(net);
 * table[0]; // { name: "stem.conv/kernel", shape: [7, 7, 3, 64], offset: 0 }
 * ```
 */
export async function exportWeights(
  net: PoseModel,
): Promise<{ table: WeightEntry[]; values: Float32Array }> {
  const table: WeightEntry[] = [];
  let offset = 0;
  const weights = net.graph.weights;
  for (const w of weights) {
    const shape = w.shape.map((d) => d ?? 1);
    table.push({ name: w.originalName, shape, offset });
    offset += shape.reduce((a, b) => a * b, 1);
  }
  const values = new Float32Array(offset);
  for (let i = 0; i < weights.length; i++) {
    values.set(await weights[i]!.read().data() as Float32Array, table[i]!.offset);
  }
  return { table, values };
}

/**
 * Writes `values` (in `exportWeights`'s table order) into the model's weights.
 *
 * @example
 * ```ts
 * importWeights(net, table, torchValues);
 * ```
 */
export function importWeights(net: PoseModel, table: readonly WeightEntry[], values: Float32Array) {
  net.graph.weights.forEach((w, i) => {
    const e = table[i]!;
    if (e.name !== w.originalName) {
      throw new Error(`weight ${i} is ${w.originalName}, not ${e.name}`);
    }
    const size = e.shape.reduce((a, b) => a * b, 1);
    w.write(tf.tensor(values.subarray(e.offset, e.offset + size), [...e.shape]));
  });
}

function maxDiff(
  table: readonly WeightEntry[],
  a: Float32Array,
  b: Float32Array,
  stats: boolean,
): { value: number; name: string } {
  let worst = { value: 0, name: "" };
  for (const e of table) {
    if (/moving_(mean|variance)$/.test(e.name) !== stats) continue;
    const size = e.shape.reduce((x, y) => x * y, 1);
    for (let i = e.offset; i < e.offset + size; i++) {
      const d = Math.abs(a[i]! - b[i]!);
      if (!(d <= worst.value)) worst = { value: d, name: e.name };
    }
  }
  return worst;
}

async function writeAll(file: Deno.FsFile, data: Float32Array): Promise<void> {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  for (let done = 0; done < bytes.length;) done += await file.write(bytes.subarray(done));
}

interface TwinRun {
  readonly losses: number[];
  readonly seconds: number;
  readonly torch: string;
  /** Final weights in the kit's layout and table order. */
  readonly values: Float32Array;
}

/** Runs bench/torch_parity.py on the files in `opts.dir`; outputs are named after `tag`. */
async function runTwin(opts: ParityOptions, tag: string, extra: string[]): Promise<TwinRun> {
  opts.log?.(`${tag}: ${opts.steps} steps on the recorded batches`);
  const out = await new Deno.Command(opts.python, {
    args: [
      SCRIPT,
      "--dir",
      opts.dir,
      "--threads",
      String(opts.threads ?? 1),
      "--tag",
      tag,
      ...extra,
    ],
    stdout: "piped",
    stderr: opts.log ? "inherit" : "piped",
  }).output();
  if (!out.success) {
    const err = opts.log
      ? "(its messages are above)"
      : new TextDecoder().decode(out.stderr).trim().split("\n").slice(-5).join("\n");
    throw new Error(`bench/torch_parity.py failed (exit ${out.code}):\n${err}`);
  }
  const result = JSON.parse(await Deno.readTextFile(join(opts.dir, `${tag}_result.json`)));
  // A non-finite loss is written as null (JSON has no NaN).
  result.losses = (result.losses as (number | null)[]).map((x) => x ?? NaN);
  const values = new Float32Array(
    (await Deno.readFile(join(opts.dir, `${tag}_weights.bin`))).buffer,
  );
  return { ...result, values } as TwinRun;
}

/** How one parity run goes. */
export interface ParityOptions {
  readonly steps: number;
  /** A python3 with torch. */
  readonly python: string;
  /** Directory for the exchanged files (created). */
  readonly dir: string;
  readonly threads?: number;
  readonly eval?: boolean;
  /**
   * Also train the twin in float64 (default true): how far float32 rounding alone moves
   * PyTorch's own losses, the floor any float32 implementation can be held to.
   */
  readonly floor?: boolean;
  /** Extra float32 runs of the twin, saved as `torch-<variant>` (see `compareRuns`). */
  readonly variants?: readonly TwinVariant[];
  /** Progress lines (default: none). */
  readonly log?: (line: string) => void;
  /** The kit's backend in words, recorded in `kit_result.json` (default: tfjs's backend name). */
  readonly kitDescription?: string;
}

/**
 * Trains `cfg`'s model in the kit for `steps` steps while recording the batches, trains the
 * PyTorch twin on them from the same initial weights, and compares.
 *
 * @example
 * ```ts
 * const r = await runParity(cfg, { steps: 20, python: "/usr/bin/python3", dir: "/tmp/p" });
 * Math.max(...r.relDiff) <= 1e-3;
 * ```
 */
export async function runParity(cfg: ExperimentConfig, opts: ParityOptions): Promise<ParityResult> {
  const stages = cfg.schedule.stages;
  if (stages.some((s) => s.trains !== "all" || !s.msrLoss || s.masking !== stages[0]!.masking)) {
    throw new KitError(
      "parity compares single-stage training: every schedule.stages entry must train all, " +
        "with msrLoss on and the same masking",
    );
  }
  await Deno.mkdir(opts.dir, { recursive: true });
  const net = buildModel(cfg.model, { seed: cfg.seed });
  const initial = await exportWeights(net);
  await Deno.writeFile(join(opts.dir, "weights.bin"), new Uint8Array(initial.values.buffer));
  const data = { ...cfg.data, masking: { ...cfg.data.masking, enabled: stages[0]!.masking } };
  const pipe = await openPipeline(data, "train", {
    mode: "train",
    batchSize: cfg.schedule.batchSize,
    seed: cfg.seed,
  });
  const perEpoch = cfg.schedule.stepsPerEpoch > 0
    ? Math.min(cfg.schedule.stepsPerEpoch, pipe.batchesPerEpoch)
    : pipe.batchesPerEpoch;
  const optimizer = makeOptimizer(cfg.optimizer);
  const kitLosses: number[] = [];
  const lrs: number[] = [];
  let layout: { images: number[]; targets: number[][]; weights: number[] } | undefined;
  const file = await Deno.open(join(opts.dir, "batches.bin"), {
    write: true,
    create: true,
    truncate: true,
  });
  const progress = opts.log
    ? new Progress({ total: opts.steps, unit: "steps", label: `kit ${cfg.model.kind}` })
    : undefined;
  const t0 = performance.now();
  try {
    for (let epoch = 0; kitLosses.length < opts.steps; epoch++) {
      const stage = stageAt(stages, epoch).stage;
      // Scores are not computed here: a plateau schedule stays at its base rate.
      const lr = learningRate(cfg.optimizer.lr * stage.lrScale, cfg.schedule.lr, epoch, []);
      setLearningRate(optimizer, lr);
      let inEpoch = 0;
      for await (const batch of pipe.epoch(epoch)) {
        try {
          if (inEpoch++ >= perEpoch || kitLosses.length >= opts.steps) break;
          layout ??= {
            images: batch.images.shape,
            targets: batch.targets.map((t) => t.shape),
            weights: batch.weights.shape,
          };
          for (const t of [batch.images, ...batch.targets, batch.weights]) {
            await writeAll(file, await t.data() as Float32Array);
          }
          const r = await trainStep(net, optimizer, batch, cfg.loss);
          kitLosses.push(r.loss);
          lrs.push(lr);
          progress?.tick(1, { loss: r.loss });
        } finally {
          tf.dispose([batch.images, ...batch.targets, batch.weights]);
        }
      }
    }
  } finally {
    file.close();
    pipe.close();
    optimizer.dispose();
    progress?.done();
  }
  const kitSeconds = (performance.now() - t0) / 1000;
  const manifest = {
    model: cfg.model,
    loss: cfg.loss,
    optimizer: cfg.optimizer,
    groups: STRUCTURE_GROUPS,
    lrs,
    batch: layout,
    weights: initial.table,
  };
  await Deno.writeTextFile(join(opts.dir, "manifest.json"), JSON.stringify(manifest));
  const twin = await runTwin(opts, "torch", []);
  const floor = opts.floor === false ? undefined : await runTwin(opts, "torch64", ["--float64"]);
  for (const v of opts.variants ?? []) await runTwin(opts, variantTag(v), [...TWIN_VARIANTS[v]]);
  const final = await exportWeights(net);
  await Deno.writeFile(join(opts.dir, "kit_weights.bin"), new Uint8Array(final.values.buffer));
  await Deno.writeTextFile(
    join(opts.dir, "kit_result.json"),
    JSON.stringify({
      losses: kitLosses,
      seconds: kitSeconds,
      backend: opts.kitDescription ?? tf.getBackend(),
    }),
  );
  const rel = (a: readonly number[], b: readonly number[]) =>
    a.map((x, i) => Math.abs(x - b[i]!) / Math.abs(b[i]!));
  const relDiff = rel(kitLosses, twin.losses);
  let pckh: ParityResult["pckh"];
  if (opts.eval) {
    const val = await openPipeline(cfg.data, "val", {
      mode: "eval",
      batchSize: cfg.eval.batchSize,
    });
    try {
      const kit = (await validate(net, cfg, val, { label: "validate kit" })).result.mean ?? NaN;
      const twinModel = buildModel(cfg.model);
      importWeights(twinModel, final.table, twin.values);
      const torch =
        (await validate(twinModel, cfg, val, { label: "validate torch" })).result.mean ??
          NaN;
      twinModel.graph.dispose();
      pckh = { kit, torch };
    } finally {
      val.close();
    }
  }
  net.graph.dispose();
  return {
    kind: cfg.model.kind,
    steps: kitLosses.length,
    kitLosses,
    torchLosses: twin.losses,
    relDiff,
    maxWeightDiff: maxDiff(final.table, final.values, twin.values, false),
    maxStatDiff: maxDiff(final.table, final.values, twin.values, true),
    ...(floor
      ? {
        floor: {
          losses: floor.losses,
          relDiff: rel(twin.losses, floor.losses),
          kitRelDiff: rel(kitLosses, floor.losses),
          maxWeightDiff: maxDiff(final.table, twin.values, floor.values, false),
        },
      }
      : {}),
    ...(pckh ? { pckh } : {}),
    torch: twin.torch,
    backend: tf.getBackend(),
    kitSeconds,
    torchSeconds: twin.seconds,
  };
}

const sci = (x: number) => x.toExponential(2);

/**
 * The side-by-side table of one result, with the targets checked: relative loss difference
 * <= 1e-4 at step 1 and <= 1e-3 over the first 20 steps.
 *
 * @example
 * ```ts
 * console.log(formatParity(result, 1));
 * ```
 */
export function formatParity(r: ParityResult, every = 1): string {
  const f = r.floor;
  const lines = [
    `${r.kind}: ${r.steps} steps, kit on ${r.backend} (${r.kitSeconds.toFixed(1)} s), ` +
    `PyTorch ${r.torch} (${r.torchSeconds.toFixed(1)} s)`,
    "  step   kit loss        torch loss      kit vs torch" +
    (f ? "  torch float64   torch32 vs 64  kit vs 64" : ""),
  ];
  r.kitLosses.forEach((l, i) => {
    if (i === 0 || (i + 1) % every === 0 || i === r.steps - 1) {
      lines.push(
        `  ${String(i + 1).padStart(4)}   ${l.toPrecision(9).padEnd(14)}  ` +
          `${r.torchLosses[i]!.toPrecision(9).padEnd(14)}  ${sci(r.relDiff[i]!).padEnd(12)}` +
          (f
            ? `  ${f.losses[i]!.toPrecision(9).padEnd(14)}  ${sci(f.relDiff[i]!).padEnd(13)}  ${
              sci(f.kitRelDiff[i]!)
            }`
            : ""),
      );
    }
  });
  const first = r.relDiff[0]!;
  const upTo20 = Math.max(...r.relDiff.slice(0, 20));
  const firstAbove = r.relDiff.findIndex((d) => d > 1e-3);
  lines.push(
    `  step 1 rel. diff ${sci(first)} (target <= 1e-4: ${first <= 1e-4 ? "met" : "MISSED"}); ` +
      `max over steps 1-${Math.min(20, r.steps)} ${sci(upTo20)} (target <= 1e-3: ${
        upTo20 <= 1e-3 ? "met" : "MISSED"
      })` +
      (firstAbove >= 0 ? `; first step above 1e-3: ${firstAbove + 1}` : ""),
  );
  if (f) {
    const floor20 = Math.max(...f.relDiff.slice(0, 20));
    const floorAbove = f.relDiff.findIndex((d) => d > 1e-3);
    lines.push(
      `  PyTorch float32 vs float64 (rounding alone): max over steps 1-${Math.min(20, r.steps)} ${
        sci(floor20)
      }` + (floorAbove >= 0 ? `; first step above 1e-3: ${floorAbove + 1}` : ""),
    );
  }
  lines.push(
    `  max |kit - torch| after the run: weights ${sci(r.maxWeightDiff.value)} ` +
      `(${r.maxWeightDiff.name}), BatchNorm statistics ${sci(r.maxStatDiff.value)} ` +
      `(${r.maxStatDiff.name})` +
      (f ? `; |torch32 - torch64| weights ${sci(f.maxWeightDiff.value)}` : ""),
  );
  if (r.pckh) {
    const d = Math.abs(r.pckh.kit - r.pckh.torch);
    lines.push(
      `  validation PCKh@0.5 Mean: kit ${r.pckh.kit.toFixed(2)}, torch ${
        r.pckh.torch.toFixed(2)
      } ` +
        `(|diff| ${d.toFixed(2)}; target <= 1.5: ${d <= 1.5 ? "met" : "MISSED"})`,
    );
  }
  return lines.join("\n");
}

async function main(args: string[]): Promise<void> {
  const flags = parseFlags(args, {
    string: ["config", "steps", "every", "backend", "threads", "keep", "replay", "tag", "compare"],
    boolean: ["eval", "json", "skip-float64"],
    collect: ["model", "set", "twin-variant"],
  }, USAGE);
  const kinds = ((flags.model as string[] | undefined) ?? []).length > 0
    ? (flags.model as string[]).map((k) => choiceFlag({ _: [], k }, "k", MODEL_KINDS, "hourglass"))
    : (["hourglass", "mss-msr", "mssh"] as ModelKind[]);
  const steps = numberFlag(flags, "steps", 20, { min: 1, integer: true });
  const every = numberFlag(flags, "every", steps <= 40 ? 1 : Math.ceil(steps / 20), {
    min: 1,
    integer: true,
  });
  const threads = numberFlag(flags, "threads", 1, { min: 1, integer: true });
  const variants = ((flags["twin-variant"] as string[] | undefined) ?? []).map((v) =>
    choiceFlag({ _: [], v }, "v", Object.keys(TWIN_VARIANTS), "threads-2") as TwinVariant
  );
  const backend = choiceFlag(flags, "backend", BACKEND_CHOICES, "auto") as BackendRequest;
  const found = await findTorchPython();
  if ("skipped" in found) throw new KitError(found.skipped);
  const base = await loadExperiment(
    (flags.config as string | undefined) ?? DEFAULT_CONFIG,
    (flags.set as string[] | undefined) ?? [],
  );
  const kitDescription = describeChoice(await initBackend(backend, (l) => console.error(l)));
  const replay = flags.replay as string | undefined;
  const compare = flags.compare as string | undefined;
  if (replay !== undefined || compare !== undefined) {
    // One kept directory: its model kind is the directory's name (`--keep D` wrote D/<kind>).
    const dir = (replay ?? compare)!;
    const kind = choiceFlag({ _: [], k: basename(dir) }, "k", MODEL_KINDS, "hourglass");
    const cfg = parityExperiment(base, kind);
    if (replay !== undefined) {
      const tag = (flags.tag as string | undefined) ?? `kit-${tf.getBackend()}`;
      if (!/^[\w.-]+$/.test(tag) || tag.startsWith("torch")) {
        throw new KitError(`--tag ${tag}: letters, digits, . - _ only, not starting with "torch"`);
      }
      const losses = await replayKit(cfg, replay, tag, kitDescription);
      try {
        await Deno.stat(join(dir, "torch64_result.json"));
      } catch {
        console.log(
          `replay saved as ${tag} in ${dir} (last loss ${losses.at(-1)}); no float64 twin ` +
            `there yet to compare with (torch64_result.json)`,
        );
        return;
      }
    }
    console.log(formatComparison(await compareRuns(cfg, dir, { score: flags.eval === true })));
    return;
  }
  const keep = flags.keep as string | undefined;
  const root = keep ?? await Deno.makeTempDir({ prefix: "posekit-parity-" });
  const results: ParityResult[] = [];
  try {
    for (const kind of kinds) {
      const cfg = parityExperiment(base, kind);
      const r = await runParity(cfg, {
        steps,
        python: found.python,
        dir: join(root, kind),
        threads,
        eval: flags.eval === true,
        floor: flags["skip-float64"] !== true,
        variants,
        log: (line) => console.error(line),
        kitDescription,
      });
      results.push(r);
      console.log(formatParity(r, every));
      if (r.floor) {
        // Every run against the float64 twin; with --eval, each one's PCKh (kit and torch again).
        const rows = await compareRuns(cfg, join(root, kind), { score: flags.eval === true });
        console.log(formatComparison(rows));
      }
    }
  } finally {
    if (!keep) await Deno.remove(root, { recursive: true }).catch(() => {});
  }
  if (flags.json) {
    console.log(JSON.stringify(results.map(({ kitLosses: _k, torchLosses: _t, ...r }) => r)));
  }
}

if (import.meta.main) await runMain(() => main(Deno.args));
