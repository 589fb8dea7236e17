/**
 * The experiment config: one typed, plain-JSON object for the whole run, composed from each
 * component's defaults (data, model, loss, optimiser, schedule, evaluation). Experiment files
 * under `configs/` and `--set key.path=value` flags are merged onto it with every key checked,
 * so a typo fails with its dotted name. The resolved config is printed at start and saved with
 * every checkpoint.
 *
 * @module
 */

import { BACKEND_CHOICES, type BackendRequest } from "../backend/select.ts";
import {
  type Choices,
  combineOverrides,
  type ConfigObject,
  mergeConfig,
  parseSet,
} from "../config/config.ts";
import {
  dataChoices,
  type DataConfig,
  dataDefaults,
  validateDataConfig,
  withSynthLevel,
} from "../data/config.ts";
import { KitError } from "../io/errors.ts";
import {
  lossChoices,
  type LossConfig,
  lossDefaults,
  validateLossConfig,
} from "../losses/config.ts";
import {
  modelChoices,
  type ModelConfig,
  modelDefaults,
  modelVariants,
  validateModelConfig,
} from "../models/config.ts";
import { stackTargetFactors } from "../models/mssh.ts";
import { type OptimizerConfig, optimizerDefaults, OPTIMIZERS } from "./optimizer.ts";
import { type LrSchedule, SCHEDULE_KINDS, type Stage, STAGE_TRAINS } from "./schedule.ts";

/** The `schedule` section: batch size, epochs in stages, learning-rate schedule. */
export type ScheduleConfig = {
  readonly batchSize: number;
  /** Optimiser steps per epoch; 0 = one pass over the training split. */
  readonly stepsPerEpoch: number;
  readonly lr: LrSchedule;
  /** Ke et al.'s stages (MSS-net; MSR-net alone; all with masking), or one stage. */
  readonly stages: readonly Stage[];
};

/** The `eval` section: validation during training and `deno task eval`. */
export type EvalConfig = {
  /** Validate after every `every` epochs (and after the last). */
  readonly every: number;
  readonly batchSize: number;
  /** Average with the flipped image's heatmaps (Newell et al.'s flip test). */
  readonly flip: boolean;
  /** PCKh threshold. */
  readonly alpha: number;
};

/** The `output` section. */
export type OutputConfig = {
  /** Run directory; "" = `runs/<name>`. */
  readonly dir: string;
  /** Write a step record to the log every this many steps. */
  readonly logEvery: number;
  /** Also checkpoint within an epoch when this many minutes passed (0 = only per epoch). */
  readonly checkpointMinutes: number;
};

/** The whole experiment. */
export type ExperimentConfig = {
  readonly name: string;
  /** Seeds model initialisation and the data order, augmentation and masking. */
  readonly seed: number;
  readonly backend: BackendRequest;
  readonly data: DataConfig;
  readonly model: ModelConfig;
  readonly loss: LossConfig;
  readonly optimizer: OptimizerConfig;
  readonly schedule: ScheduleConfig;
  readonly eval: EvalConfig;
  readonly output: OutputConfig;
};

/**
 * The components' defaults composed: the papers' settings (8-stack, 256-feature hourglass on
 * 256x256 crops, RMSprop 2.5e-4, batch 6 as in Newell et al.). Experiment files change what
 * differs.
 */
export const experimentDefaults: ExperimentConfig = {
  name: "experiment",
  seed: 1,
  backend: "auto",
  data: dataDefaults,
  model: modelDefaults("hourglass"),
  loss: lossDefaults,
  optimizer: optimizerDefaults,
  schedule: {
    batchSize: 6,
    stepsPerEpoch: 0,
    lr: { kind: "plateau", milestones: [], gamma: 0.1, patience: 8, factor: 0.2, minLr: 0 },
    stages: [{
      name: "main",
      epochs: 100,
      trains: "all",
      masking: false,
      lrScale: 1,
      msrLoss: true,
    }],
  },
  eval: { every: 1, batchSize: 8, flip: false, alpha: 0.5 },
  output: { dir: "", logEvery: 10, checkpointMinutes: 30 },
};

/** Closed choices of the whole experiment, by dotted path. */
export const experimentChoices: Choices = {
  backend: BACKEND_CHOICES,
  ...dataChoices,
  ...modelChoices,
  ...lossChoices,
  "optimizer.name": OPTIMIZERS,
  "schedule.lr.kind": SCHEDULE_KINDS,
};

function fail(key: string, want: string, value: unknown): never {
  throw new KitError(`config key "${key}" must be ${want}; got ${JSON.stringify(value)}`);
}

function positiveInt(key: string, v: number, min = 1): void {
  if (!Number.isInteger(v) || v < min) fail(key, `an integer >= ${min}`, v);
}

/**
 * Checks what single sections cannot: ranges of the schedule and evaluation, and agreement
 * between sections (crop size, target pyramid, stages that need an MSR-net, Eq. 2's "max"
 * combine, which cannot read MSSH's negative targets).
 *
 * @example
 * ```ts
 * validateExperiment({ ...cfg, model: { ...cfg.model, inputSize: 128 } });
 * // throws KitError: config key "model.inputSize" must equal data.inputSize (256); got 128
 * ```
 */
export function validateExperiment(cfg: ExperimentConfig): ExperimentConfig {
  validateDataConfig(cfg.data);
  validateModelConfig(cfg.model);
  validateLossConfig(cfg.loss);
  if (!/^[A-Za-z0-9._-]+$/.test(cfg.name)) {
    fail("name", "letters, digits, '.', '_' or '-' (it names the run directory)", cfg.name);
  }
  positiveInt("seed", cfg.seed, 0);
  if (cfg.model.inputSize !== cfg.data.inputSize) {
    fail("model.inputSize", `equal to data.inputSize (${cfg.data.inputSize})`, cfg.model.inputSize);
  }
  if (cfg.model.joints !== 16) {
    fail("model.joints", "16 (the MPII joints the data provides)", cfg.model.joints);
  }
  const needed = Math.max(
    ...("factors" in cfg.model ? cfg.model.factors : [1]),
    ...(cfg.model.kind === "mss-msr" ? cfg.model.msr.factors : [1]),
  );
  const pyramid = cfg.data.pyramidFactors;
  pyramid.forEach((f, i) => {
    if (f !== 2 ** i) {
      fail(`data.pyramidFactors[${i}]`, `${2 ** i} (the pyramid is 1, 2, 4, 8 in order)`, f);
    }
  });
  if (cfg.model.kind === "mssh" && cfg.loss.stackTargets === "dispatched") {
    // MSSH's stacks fed with coarser features are supervised with that scale's ground truth.
    const widest = Math.max(...stackTargetFactors(cfg.model));
    if (!pyramid.includes(widest)) {
      fail(
        "data.pyramidFactors",
        `a list including ${widest}: with loss.stackTargets "dispatched" the MSSH stacks fed with the ` +
          `coarsest features are supervised with the ground truth at factor ${widest}`,
        pyramid,
      );
    }
  }
  if (Math.max(...pyramid) < needed) {
    fail("data.pyramidFactors", `to reach factor ${needed}, which the model's heads emit`, pyramid);
  }
  // Eq. 2's "max" combine takes a neighbour group's pixelwise maximum: an occluded joint's
  // negative blob never wins it (the group's zero background or a visible neighbour does), so
  // the structural term would ignore every occluded joint. "sum" is linear and keeps the sign.
  const structural = cfg.loss.structure === "all" ||
    (cfg.loss.structure === "msr" && cfg.model.kind === "mss-msr");
  if (cfg.data.occludedTarget === "negative" && structural && cfg.loss.combine === "max") {
    fail(
      "loss.combine",
      '"sum" with data.occludedTarget "negative" (a max over a group drops negative, occluded ' +
        'joints; "sum" keeps their sign)',
      cfg.loss.combine,
    );
  }
  const lr = cfg.optimizer.lr;
  if (!(lr > 0)) fail("optimizer.lr", "a number > 0", lr);
  positiveInt("schedule.batchSize", cfg.schedule.batchSize);
  positiveInt("schedule.stepsPerEpoch", cfg.schedule.stepsPerEpoch, 0);
  if (cfg.schedule.stages.length === 0) fail("schedule.stages", "at least one stage", []);
  cfg.schedule.stages.forEach((s, i) => {
    const k = `schedule.stages[${i}]`;
    positiveInt(`${k}.epochs`, s.epochs, 0);
    if (!STAGE_TRAINS.includes(s.trains)) {
      fail(`${k}.trains`, `one of ${STAGE_TRAINS.join(", ")}`, s.trains);
    }
    if (s.trains === "msr" && cfg.model.kind !== "mss-msr") {
      fail(
        `${k}.trains`,
        `"all" for a ${cfg.model.kind} model (only mss-msr has an MSR-net)`,
        s.trains,
      );
    }
    if (!(s.lrScale > 0)) fail(`${k}.lrScale`, "a number > 0", s.lrScale);
    if (s.trains === "msr" && !s.msrLoss) {
      fail(`${k}.msrLoss`, "true in a stage that trains only the MSR-net", s.msrLoss);
    }
  });
  if (cfg.schedule.stages.every((s) => s.epochs === 0)) {
    fail("schedule.stages", "at least one stage with epochs > 0", cfg.schedule.stages);
  }
  positiveInt("eval.every", cfg.eval.every);
  positiveInt("eval.batchSize", cfg.eval.batchSize);
  if (!(cfg.eval.alpha > 0)) fail("eval.alpha", "a number > 0", cfg.eval.alpha);
  positiveInt("output.logEvery", cfg.output.logEvery);
  if (!(cfg.output.checkpointMinutes >= 0)) {
    fail("output.checkpointMinutes", "a number >= 0", cfg.output.checkpointMinutes);
  }
  return cfg;
}

/**
 * Resolves an experiment: the defaults, then an experiment file's contents, then `--set`
 * assignments, merged with unknown keys rejected, then validated.
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
  const override = withSynthLevel(combineOverrides(file, ...sets.map(parseSet)));
  const merged = mergeConfig(experimentDefaults as unknown as ConfigObject, override, {
    choices: experimentChoices,
    variants: modelVariants,
  }) as unknown as ExperimentConfig;
  return validateExperiment(merged);
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
      mergeConfig(
        experimentDefaults as unknown as ConfigObject,
        combineOverrides(file, ...sets.slice(0, n).map(parseSet)),
        { choices: experimentChoices, variants: modelVariants },
      );
      return false;
    } catch (e) {
      return e instanceof KitError && e.message === message;
    }
  };
  if (sets.length === 0 || fails(0)) return path;
  for (let n = 1; n <= sets.length; n++) if (fails(n)) return `--set ${sets[n - 1]}`;
  return `${path} with --set ${sets.join(" ")}`;
}
