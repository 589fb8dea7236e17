/**
 * The experiment config: one typed, plain-JSON object for the whole run, composed from each
 * component's schema (data, model, loss, optimiser, schedule, evaluation). Experiment files
 * under `configs/` and `--set key.path=value` flags are merged onto it with every key checked,
 * so a typo fails with its dotted name. The resolved config is printed at start and saved with
 * every checkpoint.
 *
 * @module
 */

import { BACKEND_CHOICES } from "../backend/select.ts";
import {
  atLeast,
  combineOverrides,
  expect,
  type Infer,
  int,
  parseConfig,
  parseSet,
  positive,
  section,
  z,
} from "../config/config.ts";
import { dataSchema } from "../data/config.ts";
import { KitError } from "../io/errors.ts";
import { lossSchema } from "../losses/config.ts";
import { modelSchema } from "../models/config.ts";
import { stackTargetFactors } from "../models/mssh.ts";
import { optimizerSchema } from "./optimizer.ts";
import { lrScheduleSchema, stageSchema } from "./schedule.ts";

/** The `schedule` section: batch size, epochs in stages, learning-rate schedule. */
const scheduleSchema = section({
  batchSize: int(1).default(6),
  /** Optimiser steps per epoch; 0 = one pass over the training split. */
  stepsPerEpoch: int(0).default(0),
  lr: lrScheduleSchema,
  /** Ke et al.'s stages (MSS-net; MSR-net alone; all with masking), or one stage. */
  stages: z.array(stageSchema).prefault(() => [{}]).superRefine((stages, ctx) => {
    if (!expect(ctx, stages.length > 0, "", "at least one stage", stages)) return;
    expect(ctx, stages.some((s) => s.epochs > 0), "", "at least one stage with epochs > 0", stages);
  }),
});

/**
 * The whole experiment: the components' sections (each declared, with its defaults, in its own
 * folder) and the run's own keys, then the checks that span sections (crop size, target pyramid,
 * stages that need an MSR-net, Eq. 2's "max" combine, which cannot read MSSH's negative
 * targets). The defaults are the papers' settings (8-stack, 256-feature hourglass on 256x256
 * crops, RMSprop 2.5e-4, batch 6 as in Newell et al.); experiment files change what differs.
 */
export const experimentSchema = section({
  name: z.string().refine((n) => /^[A-Za-z0-9._-]+$/.test(n), {
    message: "letters, digits, '.', '_' or '-' (it names the run directory)",
  }).default("experiment"),
  /** Seeds model initialisation and the data order, augmentation and masking. */
  seed: int(0).default(1),
  backend: z.enum(BACKEND_CHOICES).default("auto"),
  data: dataSchema,
  model: modelSchema,
  loss: lossSchema,
  optimizer: optimizerSchema,
  schedule: scheduleSchema,
  /** Validation during training and `deno task eval`. */
  eval: section({
    /** Validate after every `every` epochs (and after the last). */
    every: int(1).default(1),
    batchSize: int(1).default(8),
    /** Average with the flipped image's heatmaps (Newell et al.'s flip test). */
    flip: z.boolean().default(false),
    /** PCKh threshold. */
    alpha: positive().default(0.5),
  }),
  output: section({
    /** Run directory; "" = `runs/<name>`. */
    dir: z.string().default(""),
    /** Write a step record to the log every this many steps. */
    logEvery: int(1).default(10),
    /** Also checkpoint within an epoch when this many minutes passed (0 = only per epoch). */
    checkpointMinutes: atLeast().default(30),
  }),
}).superRefine(checkAcrossSections);

/** The whole experiment. */
export type ExperimentConfig = Infer<typeof experimentSchema>;

/** The `schedule` section. */
export type ScheduleConfig = ExperimentConfig["schedule"];

/** The `eval` section. */
export type EvalConfig = ExperimentConfig["eval"];

/** The `output` section. */
export type OutputConfig = ExperimentConfig["output"];

function checkAcrossSections(cfg: z.output<typeof experimentSchema>, ctx: z.RefinementCtx): void {
  const { data, model, loss } = cfg;
  expect(
    ctx,
    model.inputSize === data.inputSize,
    "model.inputSize",
    `equal to data.inputSize (${data.inputSize})`,
    model.inputSize,
  );
  expect(
    ctx,
    model.joints === 16,
    "model.joints",
    "16 (the MPII joints the data provides)",
    model.joints,
  );
  const needed = Math.max(
    ...("factors" in model ? model.factors : [1]),
    ...(model.kind === "mss-msr" ? model.msr.factors : [1]),
  );
  const pyramid = data.pyramidFactors;
  pyramid.forEach((f, i) => {
    const want = `${2 ** i} (the pyramid is 1, 2, 4, 8 in order)`;
    expect(ctx, f === 2 ** i, `data.pyramidFactors[${i}]`, want, f);
  });
  if (model.kind === "mssh" && loss.stackTargets === "dispatched") {
    // MSSH's stacks fed with coarser features are supervised with that scale's ground truth.
    const widest = Math.max(...stackTargetFactors(model));
    expect(
      ctx,
      pyramid.includes(widest),
      "data.pyramidFactors",
      `a list including ${widest}: with loss.stackTargets "dispatched" the MSSH stacks fed with the ` +
        `coarsest features are supervised with the ground truth at factor ${widest}`,
      pyramid,
    );
  }
  const reach = `to reach factor ${needed}, which the model's heads emit`;
  expect(ctx, Math.max(...pyramid) >= needed, "data.pyramidFactors", reach, pyramid);
  // Eq. 2's "max" combine takes a neighbour group's pixelwise maximum: an occluded joint's
  // negative blob never wins it (the group's zero background or a visible neighbour does), so
  // the structural term would ignore every occluded joint. "sum" is linear and keeps the sign.
  const structural = loss.structure === "all" ||
    (loss.structure === "msr-outputs" && model.kind === "mss-msr");
  expect(
    ctx,
    !(data.occludedTarget === "negative" && structural && loss.combine === "max"),
    "loss.combine",
    '"sum" with data.occludedTarget "negative" (a max over a group drops negative, occluded ' +
      'joints; "sum" keeps their sign)',
    loss.combine,
  );
  cfg.schedule.stages.forEach((s, i) => {
    expect(
      ctx,
      s.trains !== "msr-only" || model.kind === "mss-msr",
      `schedule.stages[${i}].trains`,
      `"all" for a ${model.kind} model (only mss-msr has an MSR-net)`,
      s.trains,
    );
  });
}

/** The components' defaults composed: the papers' settings. */
export const experimentDefaults: ExperimentConfig = experimentSchema.parse({});

/**
 * Checks an experiment config built in code: every section's keys, choices and ranges, and
 * the agreement between sections. Returns the config.
 *
 * @example
 * ```ts
 * validateExperiment({ ...cfg, model: { ...cfg.model, inputSize: 128 } });
 * // throws KitError: config key "model.inputSize" must be equal to data.inputSize (256); got 128
 * ```
 */
export function validateExperiment(cfg: ExperimentConfig): ExperimentConfig {
  parseConfig(experimentSchema, cfg);
  return cfg;
}

/**
 * Resolves an experiment: the defaults, then an experiment file's contents, then `--set`
 * assignments, with unknown keys rejected and every value checked.
 *
 * @example
 * ```ts
 * const cfg = resolveExperiment(JSON.parse(await Deno.readTextFile("configs/synth_hourglass_tiny.json")), ["optimizer.lr=5e-4"]);
 * ```
 */
export function resolveExperiment(
  file: unknown = {},
  sets: readonly string[] = [],
): ExperimentConfig {
  return parseConfig(experimentSchema, combineOverrides(file, ...sets.map(parseSet)));
}

/**
 * Reads an experiment file (JSON) and resolves it with `--set` assignments. Errors name the file.
 *
 * @example
 * ```ts
 * const cfg = await loadExperiment("configs/synth_hourglass_tiny.json", ["schedule.batchSize=4"]);
 * ```
 */
export async function loadExperiment(
  path: string,
  sets: readonly string[] = [],
): Promise<ExperimentConfig> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new KitError(`${path}: cannot read experiment file (${(e as Error).message})`);
  }
  let file: unknown;
  try {
    file = JSON.parse(text);
  } catch (e) {
    throw new KitError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  try {
    return resolveExperiment(file, sets);
  } catch (e) {
    if (!(e instanceof KitError)) throw e;
    throw new KitError(`${blame(path, file, sets, e.message)}: ${e.message}`);
  }
}

/**
 * Where a config error came from: the file when the file alone has it, else the first `--set`
 * whose addition makes the same error appear, else the combination.
 */
function blame(path: string, file: unknown, sets: readonly string[], message: string): string {
  const fails = (n: number) => {
    try {
      resolveExperiment(file, sets.slice(0, n));
      return false;
    } catch (e) {
      return e instanceof KitError && e.message === message;
    }
  };
  if (sets.length === 0 || fails(0)) return path;
  for (let n = 1; n <= sets.length; n++) if (fails(n)) return `--set ${sets[n - 1]}`;
  return `${path} with --set ${sets.join(" ")}`;
}
