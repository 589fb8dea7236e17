/**
 * The training loop: stages, epochs, steps, validation, checkpoints, logs and progress.
 * Validation itself (the split's metric and its scoring) is lib/eval/validate.ts's.
 *
 * A run lives in one directory (`config.json`, `log.jsonl`, `checkpoints/`, `last.json`,
 * `best.json`). Everything a step depends on is a function of (seed, epoch, position) or is in
 * the checkpoint (weights, BatchNorm statistics, optimiser slots, step counters), so a run
 * resumed from its last checkpoint takes exactly the steps the uninterrupted run would have.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { join } from "@std/path";
import { openPipeline, type Pipeline } from "../data/pipeline.ts";
import type { SplitEvaluation } from "../eval/dataset.ts";
import { metricLabel, splitMetric, validate } from "../eval/validate.ts";
import { writeFileAtomic } from "../io/atomic.ts";
import { KitError } from "../io/errors.ts";
import { buildModel, countParams, type PoseModel, setTrainable } from "../models/build.ts";
import { Progress } from "../progress/progress.ts";
import type { ConfigObject } from "../config/config.ts";
import {
  loadModelWeights,
  loadOptimizerState,
  readCheckpointMeta,
  resolveCheckpoint,
  saveCheckpoint,
  type TrainState,
} from "./checkpoint.ts";
import type { ExperimentConfig } from "./config.ts";
import { lockRunDir } from "./lock.ts";
import { RunLog, type StepRecord, type ValRecord } from "./log.ts";
import { makeOptimizer, setLearningRate } from "./optimizer.ts";
import {
  heatmapSourceAt,
  isNewBest,
  stageAt,
  stageLearningRate,
  totalEpochs,
  type Validation,
} from "./schedule.ts";
import { trainStep } from "./step.ts";

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

const freshState: TrainState = {
  step: 0,
  epoch: 0,
  batchInEpoch: 0,
  scores: [],
  bestScore: null,
  bestStep: null,
};

/**
 * The validations of a run so far, by epoch. `state.extra.scoreEpochs` holds the epoch each of
 * `state.scores` followed; a checkpoint written before it existed validated every epoch.
 */
function validationHistory(state: TrainState): Validation[] {
  const epochs = state.extra?.scoreEpochs;
  const known = Array.isArray(epochs) && epochs.length === state.scores.length;
  return state.scores.map((score, i) => ({
    epoch: known ? Number((epochs as unknown[])[i]) : i,
    score,
  }));
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
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
  const runLog = new RunLog(join(runDir, "log.jsonl"));

  const pm = buildModel(cfg.model, { seed: cfg.seed });
  let state: TrainState = freshState;
  let resumeDir: string | undefined;
  if (options.resume) {
    resumeDir = await resolveCheckpoint(runDir, "last");
    const meta = await readCheckpointMeta(resumeDir);
    const saved = meta.config as unknown as ExperimentConfig;
    if (!sameJson(saved.model, cfg.model)) {
      throw new KitError(
        `${resumeDir}: the checkpoint's model config differs from this run's; resume with the ` +
          `run's own config (${join(runDir, "config.json")})`,
      );
    }
    await loadModelWeights(resumeDir, pm.model);
    state = meta.state;
    await runLog.truncateAfter(state.step, state.epoch);
    log(
      `resume: ${resumeDir} (step ${state.step}, epoch ${state.epoch}, batch ${state.batchInEpoch})`,
    );
  } else {
    await Deno.remove(runLog.path).catch(() => {});
  }
  await writeFileAtomic(join(runDir, "config.json"), JSON.stringify(cfg, null, 2));

  const stages = cfg.schedule.stages;
  const epochs = totalEpochs(stages);
  const val = await openPipeline(cfg.data, "val", { mode: "eval", batchSize: cfg.eval.batchSize });
  let trainPipe: Pipeline | undefined;
  const badSamples = new Set<number>();
  let pipeMasking: boolean | undefined;
  const openTrain = async (masking: boolean) => {
    if (trainPipe && pipeMasking === masking) return trainPipe;
    trainPipe?.close();
    const data = { ...cfg.data, masking: { ...cfg.data.masking, enabled: masking } };
    trainPipe = await openPipeline(data, "train", {
      mode: "train",
      batchSize: cfg.schedule.batchSize,
      seed: cfg.seed,
      onSkip: (f) => {
        // A bad sample can be drawn again as another one's replacement: report it once.
        if (badSamples.has(f.index)) return;
        badSamples.add(f.index);
        log(`skipped sample ${f.index} (${f.path ?? "no file"}): ${f.message}`);
      },
    });
    pipeMasking = masking;
    return trainPipe;
  };

  const first = await openTrain(stageAt(stages, state.epoch).stage.masking);
  const stepsPerEpoch = cfg.schedule.stepsPerEpoch > 0
    ? Math.min(cfg.schedule.stepsPerEpoch, first.batchesPerEpoch)
    : first.batchesPerEpoch;
  const totalSteps = epochs * stepsPerEpoch;
  log(
    `run ${runDir}: ${cfg.model.kind} ${cfg.model.stacks}x${cfg.model.features}, ` +
      `${countParams(pm).toLocaleString("en")} parameters; ${epochs} epoch(s) x ${stepsPerEpoch} ` +
      `steps of ${cfg.schedule.batchSize} = ${totalSteps} steps; validation on ` +
      `${val.batchesPerEpoch * cfg.eval.batchSize} samples (${
        metricLabel(splitMetric(cfg.data, cfg.eval.alpha))
      })`,
  );

  const progress = new Progress({
    total: totalSteps - state.step,
    unit: "steps",
    label: "train",
    live: options.live,
    everyMs: (options.progressEverySeconds ?? 10) * 1000,
  });
  const losses: number[] = [];
  let optimizer: tf.Optimizer | undefined;
  let optimizerStage = -1;
  let lastEvaluation: SplitEvaluation | undefined;
  let lastCheckpoint = performance.now();
  let interrupted = false;
  let skipped = 0;
  const checkpoint = async (isBest = false) => {
    await saveCheckpoint(runDir, {
      model: pm.model,
      optimizer,
      config: cfg as unknown as ConfigObject,
      state: { ...state, extra: { ...state.extra, optimizerStage } },
      isBest,
    });
    lastCheckpoint = performance.now();
  };

  try {
    while (state.epoch < epochs && !interrupted) {
      const epoch = state.epoch;
      const { stage, index: stageIndex } = stageAt(stages, epoch);
      if (stage.epochs === 0) {
        state = { ...state, epoch: epoch + 1, batchInEpoch: 0 };
        continue;
      }
      if (stageIndex !== optimizerStage) {
        // Each stage trains its own set of weights; tfjs optimisers keep their slots by position
        // in that set, so a stage starts with a fresh optimiser rather than misaligned slots.
        setTrainable(pm, stage.trains);
        optimizer?.dispose();
        optimizer = makeOptimizer(cfg.optimizer);
        // The checkpoint's optimiser slots belong to the stage that wrote them; a run resumed at
        // the start of a new stage starts that stage fresh, as the uninterrupted run did.
        if (resumeDir && optimizerStage === -1 && state.extra?.optimizerStage === stageIndex) {
          await loadOptimizerState(resumeDir, optimizer);
        }
        optimizerStage = stageIndex;
      }
      // Each stage has its own schedule state, starting from its own rate (see stageLearningRate).
      const lr = stageLearningRate(
        cfg.optimizer.lr,
        cfg.schedule.lr,
        stages,
        epoch,
        validationHistory(state),
      );
      setLearningRate(optimizer!, lr);
      const pipe = await openTrain(stage.masking);
      const stageLoss = stage.msrLoss ? cfg.loss : { ...cfg.loss, msrWeight: 0 };
      let samplesStart = performance.now();
      for await (const batch of pipe.epoch(epoch, state.batchInEpoch)) {
        if (state.batchInEpoch >= stepsPerEpoch) {
          tf.dispose([batch.images, ...batch.targets, batch.weights]);
          break;
        }
        let result;
        try {
          result = await trainStep(pm, optimizer!, batch, stageLoss);
        } finally {
          tf.dispose([batch.images, ...batch.targets, batch.weights]);
        }
        if (!Number.isFinite(result.loss)) {
          const bad = result.parts.filter((p) => !Number.isFinite(p.loss))
            .map((p) => `stack ${p.stack} x${p.factor}`).join(", ");
          throw new KitError(
            `the loss became ${result.loss} at step ${state.step + 1} (epoch ${epoch + 1}, stage ` +
              `"${stage.name}"${
                bad ? `; non-finite terms: ${bad}` : ""
              }); training stopped without ` +
              `saving this state. The last good checkpoint is ${
                join(runDir, "last.json")
              }; try a ` +
              `lower optimizer.lr (now ${lr}) and resume with --resume ${runDir}`,
          );
        }
        state = { ...state, step: state.step + 1, batchInEpoch: state.batchInEpoch + 1 };
        losses.push(result.loss);
        const seconds = (performance.now() - samplesStart) / 1000;
        samplesStart = performance.now();
        const samplesPerSec = cfg.schedule.batchSize / Math.max(seconds, 1e-9);
        progress.tick(1, { epoch: epoch + 1, loss: result.loss, lr });
        const record: StepRecord = {
          kind: "step",
          step: state.step,
          epoch: epoch + 1,
          stage: stage.name,
          loss: result.loss,
          parts: Object.fromEntries(result.parts.map((p) => [
            `${p.stack === "msr" ? "msr" : `stack${p.stack + 1}`}/x${p.factor}`,
            p.loss,
          ])),
          lr,
          samplesPerSec,
          time: new Date().toISOString(),
        };
        if (state.step % cfg.output.logEvery === 0) await runLog.append(record);
        await options.onStep?.(record);
        const stopNow = options.signal?.aborted ||
          (options.stopAtStep !== undefined && state.step >= options.stopAtStep);
        const due = cfg.output.checkpointMinutes > 0 &&
          performance.now() - lastCheckpoint > cfg.output.checkpointMinutes * 60_000;
        if (stopNow || due) {
          await checkpoint();
          if (stopNow) {
            interrupted = true;
            break;
          }
        }
      }
      if (interrupted) break;
      state = { ...state, epoch: epoch + 1, batchInEpoch: 0 };
      const isLast = state.epoch === epochs;
      let isBest = false;
      if (state.epoch % cfg.eval.every === 0 || isLast) {
        const source = heatmapSourceAt(cfg.schedule.stages, epoch);
        lastEvaluation = await validate(pm, cfg, val, {
          from: source,
          live: options.live,
          everyMs: (options.progressEverySeconds ?? 10) * 1000,
        });
        const score = lastEvaluation.result.mean ?? 0;
        // The best is chosen among validations of the same output (see isNewBest).
        const bestSource = state.extra?.bestSource;
        isBest = isNewBest(
          state.bestScore === null || typeof bestSource !== "string"
            ? null
            : { score: state.bestScore, source: bestSource },
          { score, source },
        );
        state = {
          ...state,
          scores: [...state.scores, score],
          ...(isBest ? { bestScore: score, bestStep: state.step } : {}),
          extra: {
            ...state.extra,
            scoreEpochs: [...validationHistory(state).map((v) => v.epoch), epoch],
            ...(isBest ? { bestSource: source } : {}),
          },
        };
        const r = lastEvaluation.result;
        const record: ValRecord = {
          kind: "val",
          step: state.step,
          epoch: state.epoch,
          stage: stage.name,
          pckh: { ...r.parts, Mean: r.mean, auc: r.auc } as Record<string, number>,
          time: new Date().toISOString(),
        };
        await runLog.append(record);
        log(
          `epoch ${state.epoch}/${epochs} (${stage.name}): validation Mean ${score.toFixed(2)}` +
            (isBest ? " (best)" : ""),
        );
        await options.onValidation?.(record, lastEvaluation);
      }
      await checkpoint(isBest);
    }
  } finally {
    progress.done();
    trainPipe?.close();
    val.close();
    optimizer?.dispose();
  }
  skipped = badSamples.size;
  if (skipped > 0) log(`${skipped} training sample(s) could not be loaded and were skipped`);
  return { runDir, state, losses, lastEvaluation, interrupted, skipped, model: pm };
}
