/**
 * The training loop: stages, epochs, validation, checkpoints, logs and progress. `train()` reads
 * top to bottom as the run goes; each step is a named function elsewhere in lib/train (run.ts:
 * start or resume, best tracking, checkpoint timing; stage.ts: stage entry, rates, the masking
 * pipeline; epoch.ts: the steps of one epoch and the NaN guard).
 *
 * A run lives in one directory (`config.json`, `log.jsonl`, `checkpoints/`, `last.json`,
 * `best.json`). Everything a step depends on is a function of (seed, epoch, position) or is in
 * the checkpoint (weights, BatchNorm statistics, optimiser slots, step counters), so a run
 * resumed from its last checkpoint takes exactly the steps the uninterrupted run would have.
 *
 * Evaluation does not live here: after the epochs the schedule validates, the loop calls a
 * `Validator` (lib/eval/validate.ts) and only keeps the score, for the learning-rate schedule
 * and best.json. The default validator scores the experiment's `val` split; a caller passes
 * another through `TrainOptions.validation`. The default is wired here rather than by each
 * caller, so `deno task train`, the notebooks, reuse.ts and the tests get the same validation
 * without repeating it, and `deno task eval`, the notebooks and training score a split the same
 * way. That default is the one arrow from training up to evaluation (tests/eval/validate_test.ts
 * lists it); evaluation reads training's checkpoints and configs, which is the chain's direction.
 *
 * @module
 */

import { join } from "@std/path";
import type { Pipeline } from "../data/pipeline.ts";
import type { SplitEvaluation } from "../eval/dataset.ts";
import { metricLabel, openValidator, type Validator } from "../eval/validate.ts";
import { buildModel, countParams, type PoseModel } from "../models/build.ts";
import { Progress } from "../progress/progress.ts";
import type { TrainState } from "./checkpoint.ts";
import type { ExperimentConfig } from "./config.ts";
import { runEpoch } from "./epoch.ts";
import { lockRunDir } from "./lock.ts";
import { RunLog, type StepRecord, type ValRecord } from "./log.ts";
import { checkpointer, recordValidation, startRun } from "./run.ts";
import { heatmapSourceAt, type Stage, stageAt, totalEpochs } from "./schedule.ts";
import { setStageLearningRate, StageOptimizer, TrainPipeline } from "./stage.ts";

/** How a training run is driven. */
export interface TrainOptions {
  /** The run directory (created if needed). */
  readonly runDir: string;
  /** Continue from the run directory's last checkpoint. */
  readonly resume?: boolean;
  /** Where status lines go (default console.log). */
  readonly log?: (line: string) => void;
  /** Redraw the progress bar in place (default: stdout is a terminal). */
  readonly live?: boolean;
  /** Seconds between plain progress lines when not live (default 10). */
  readonly progressEverySeconds?: number;
  /** Aborting stops after the current step and writes a checkpoint first (Ctrl-C). */
  readonly signal?: AbortSignal;
  /** Stop (with a checkpoint) once this many steps have been taken in total. */
  readonly stopAtStep?: number;
  /**
   * Opens the validation the run calls after the epochs its schedule validates; the run closes
   * it when it ends. Default: `openValidator` on the experiment's `val` split.
   */
  readonly validation?: (cfg: ExperimentConfig) => Promise<Validator>;
  /** Called after every step and every validation (live curves in notebooks). */
  readonly onStep?: (record: StepRecord) => void | Promise<void>;
  readonly onValidation?: (record: ValRecord, evaluation: SplitEvaluation) => void | Promise<void>;
}

/** What a run ended with. */
export interface TrainResult {
  readonly runDir: string;
  readonly state: TrainState;
  /** The total loss of every step taken in this call, in order. */
  readonly losses: readonly number[];
  /** The last validation of this call, if any. */
  readonly lastEvaluation?: SplitEvaluation;
  /** True when stopped early by the signal or `stopAtStep` (a checkpoint was written). */
  readonly interrupted: boolean;
  /** Distinct training samples skipped because they could not be loaded. */
  readonly skipped: number;
  readonly model: PoseModel;
}

/**
 * Trains the experiment `cfg` in `options.runDir`, on the tfjs backend already active.
 *
 * @example
 * ```ts
 * await initBackend(cfg.backend);
 * const result = await train(cfg, { runDir: "runs/synth-hourglass-tiny" });
 * result.lastEvaluation?.result.mean; // validation PCKh@0.5
 * ```
 */
export async function train(cfg: ExperimentConfig, options: TrainOptions): Promise<TrainResult> {
  // One writer per run directory (see lock.ts); a killed writer's temporaries go under the lock.
  const lock = await lockRunDir(options.runDir);
  try {
    return await trainLocked(cfg, options);
  } finally {
    await lock.release();
  }
}

async function trainLocked(cfg: ExperimentConfig, options: TrainOptions): Promise<TrainResult> {
  const log = options.log ?? console.log;
  const { runDir } = options;
  const everyMs = (options.progressEverySeconds ?? 10) * 1000;
  const runLog = new RunLog(join(runDir, "log.jsonl"));
  const net = buildModel(cfg.model, { seed: cfg.seed });
  const start = await startRun(cfg, net, { runDir, resume: options.resume, runLog, log });
  let state = start.state;

  const stages = cfg.schedule.stages;
  const epochs = totalEpochs(stages);
  const validator = await openValidation(cfg, options, everyMs);
  const data = new TrainPipeline(cfg, log);
  const optim = new StageOptimizer(cfg.optimizer, start.resumeDir);
  let progress: Progress | undefined;
  let lastEvaluation: SplitEvaluation | undefined;
  let interrupted = false;
  const losses: number[] = [];
  try {
    const first = await data.open(stageAt(stages, state.epoch).stage.masking);
    const stepsPerEpoch = stepsPerEpochOf(cfg, first);
    log(runHeader(cfg, runDir, net, epochs, stepsPerEpoch, validator));
    progress = trainProgress(epochs * stepsPerEpoch - state.step, options.live, everyMs);
    const checkpoints = checkpointer(cfg, runDir, net, () => optim);
    const { signal, stopAtStep, onStep, onValidation } = options;
    const run = { cfg, runDir, net, stepsPerEpoch, runLog, progress, checkpoints, losses };
    const report = { validator, net, log, onValidation, runLog, epochs };

    while (state.epoch < epochs && !interrupted) {
      const epoch = state.epoch;
      const { stage, index } = stageAt(stages, epoch);
      if (stage.epochs === 0) {
        state = nextEpoch(state, epoch);
        continue;
      }
      const optimizer = await optim.enter(net, stage, index, state);
      const lr = setStageLearningRate(optimizer, cfg, epoch, state);
      const pipe = await data.open(stage.masking);
      ({ state, interrupted } = await runEpoch(
        { ...run, optimizer, pipe, stage, lr, signal, stopAtStep, onStep },
        state,
      ));
      if (interrupted) break;
      state = nextEpoch(state, epoch);
      const validated = await validateIfDue(cfg, state, epoch, stage, report);
      state = validated.state;
      lastEvaluation = validated.evaluation ?? lastEvaluation;
      await checkpoints.save(state, validated.isBest);
    }
  } finally {
    progress?.done();
    data.close();
    validator.close();
    optim.dispose();
  }
  const skipped = data.skipped;
  if (skipped > 0) log(`${skipped} training sample(s) could not be loaded and were skipped`);
  return { runDir, state, losses, lastEvaluation, interrupted, skipped, model: net };
}

/** The validation the run calls: `options.validation`, else the experiment's `val` split. */
function openValidation(
  cfg: ExperimentConfig,
  options: TrainOptions,
  everyMs: number,
): Promise<Validator> {
  if (options.validation) return options.validation(cfg);
  return openValidator(cfg, { live: options.live, everyMs });
}

/** The progress bar over the steps this call has left to take. */
function trainProgress(steps: number, live: boolean | undefined, everyMs: number): Progress {
  return new Progress({ total: steps, unit: "steps", label: "train", live, everyMs });
}

/** The state at the start of the epoch after `epoch`. */
function nextEpoch(state: TrainState, epoch: number): TrainState {
  return { ...state, epoch: epoch + 1, batchInEpoch: 0 };
}

/** What validating after an epoch gave: the state (best score), and the evaluation if run. */
interface Validated {
  readonly state: TrainState;
  readonly isBest: boolean;
  readonly evaluation?: SplitEvaluation;
}

/**
 * Validates after `epoch` (`state` is already past it) when the schedule says so (every
 * `eval.every` epochs and after the last), on the heatmaps the stage predicts from, and records
 * the score for best.json.
 */
async function validateIfDue(
  cfg: ExperimentConfig,
  state: TrainState,
  epoch: number,
  stage: Stage,
  run: ReportTarget & { validator: Validator; net: PoseModel },
): Promise<Validated> {
  if (state.epoch % cfg.eval.every !== 0 && state.epoch !== run.epochs) {
    return { state, isBest: false };
  }
  const source = heatmapSourceAt(cfg.schedule.stages, epoch);
  const evaluation = await run.validator.run(run.net, source);
  const recorded = recordValidation(state, epoch, evaluation.result.mean ?? 0, source);
  await reportValidation(recorded.state, stage, evaluation, recorded.isBest, run);
  return { ...recorded, evaluation };
}

/** Steps per epoch: `schedule.stepsPerEpoch`, at most one pass of the data (0 = one pass). */
function stepsPerEpochOf(cfg: ExperimentConfig, pipe: Pipeline): number {
  const pass = pipe.batchesPerEpoch;
  return cfg.schedule.stepsPerEpoch > 0 ? Math.min(cfg.schedule.stepsPerEpoch, pass) : pass;
}

/** Where a validation is reported. */
interface ReportTarget {
  readonly log: (line: string) => void;
  readonly onValidation: TrainOptions["onValidation"];
  readonly runLog: RunLog;
  readonly epochs: number;
}

/** Logs a validation: the run log's record, a status line, and `onValidation`. */
async function reportValidation(
  state: TrainState,
  stage: Stage,
  evaluation: SplitEvaluation,
  isBest: boolean,
  run: ReportTarget,
): Promise<void> {
  const r = evaluation.result;
  const record: ValRecord = {
    kind: "val",
    step: state.step,
    epoch: state.epoch,
    stage: stage.name,
    pckh: { ...r.parts, Mean: r.mean, auc: r.auc } as Record<string, number>,
    time: new Date().toISOString(),
  };
  await run.runLog.append(record);
  run.log(
    `epoch ${state.epoch}/${run.epochs} (${stage.name}): validation Mean ${
      (r.mean ?? 0).toFixed(2)
    }` + (isBest ? " (best)" : ""),
  );
  await run.onValidation?.(record, evaluation);
}

/** The run's first line: model, size, steps, and what validation scores. */
function runHeader(
  cfg: ExperimentConfig,
  runDir: string,
  net: PoseModel,
  epochs: number,
  stepsPerEpoch: number,
  validator: Validator,
): string {
  return `run ${runDir}: ${cfg.model.kind} ${cfg.model.stacks}x${cfg.model.features}, ` +
    `${countParams(net).toLocaleString("en")} parameters; ${epochs} epoch(s) x ${stepsPerEpoch} ` +
    `steps of ${cfg.schedule.batchSize} = ${epochs * stepsPerEpoch} steps; validation on ` +
    `${validator.samples} samples (${metricLabel(validator.metric)})`;
}
