/**
 * One training epoch: a step per batch from where the state left off, the NaN guard, the step
 * records of the run log, and a checkpoint when one is due or the run is asked to stop.
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs";
import { join } from "@std/path";
import { disposeBatch } from "../data/assemble.ts";
import type { Pipeline } from "../data/pipeline.ts";
import { KitError } from "../io/errors.ts";
import type { PoseModel } from "../models/build.ts";
import type { Progress } from "../progress/progress.ts";
import type { TrainState } from "./checkpoint.ts";
import type { ExperimentConfig } from "./config.ts";
import type { RunLog, StepRecord } from "./log.ts";
import type { Checkpointer } from "./run.ts";
import type { Stage } from "./schedule.ts";
import { type StepResult, trainStep } from "./step.ts";

/** Everything an epoch reads besides the state. */
export interface EpochRun {
  readonly cfg: ExperimentConfig;
  readonly runDir: string;
  readonly net: PoseModel;
  readonly optimizer: tf.Optimizer;
  readonly pipe: Pipeline;
  readonly stage: Stage;
  readonly lr: number;
  readonly stepsPerEpoch: number;
  readonly runLog: RunLog;
  readonly progress: Progress;
  readonly checkpoints: Checkpointer;
  /** The total loss of every step, appended to in order. */
  readonly losses: number[];
  readonly signal?: AbortSignal;
  readonly stopAtStep?: number;
  readonly onStep?: (record: StepRecord) => void | Promise<void>;
}

/** How an epoch ended: the state after its last step, and whether the run was stopped. */
export interface EpochEnd {
  readonly state: TrainState;
  /** True when stopped by the signal or `stopAtStep` (after writing a checkpoint). */
  readonly interrupted: boolean;
}

/**
 * Trains epoch `state.epoch` from batch `state.batchInEpoch` to `run.stepsPerEpoch`. Stops early,
 * with a checkpoint, when `run.signal` aborts or `run.stopAtStep` is reached; writes one when
 * `output.checkpointMinutes` have passed. Throws (without saving) when the loss is not finite.
 *
 * @example
 * ```ts
 * const end = await runEpoch({ cfg, runDir, net, optimizer, pipe, stage, lr, ... }, state);
 * if (end.interrupted) return;
 * ```
 */
export async function runEpoch(run: EpochRun, state: TrainState): Promise<EpochEnd> {
  const { cfg, stage, lr } = run;
  const epoch = state.epoch;
  // Ke's first stage trains the stacks alone: the MSR-net gets no loss, so no gradient.
  const stageLoss = stage.msrLoss ? cfg.loss : { ...cfg.loss, msrWeight: 0 };
  let samplesStart = performance.now();
  for await (const batch of run.pipe.epoch(epoch, state.batchInEpoch)) {
    if (state.batchInEpoch >= run.stepsPerEpoch) {
      disposeBatch(batch);
      break;
    }
    let result;
    try {
      result = await trainStep(run.net, run.optimizer, batch, stageLoss);
    } finally {
      disposeBatch(batch);
    }
    guardFinite(result, state, run);
    state = { ...state, step: state.step + 1, batchInEpoch: state.batchInEpoch + 1 };
    run.losses.push(result.loss);
    const seconds = (performance.now() - samplesStart) / 1000;
    samplesStart = performance.now();
    const samplesPerSec = cfg.schedule.batchSize / Math.max(seconds, 1e-9);
    run.progress.tick(1, { epoch: epoch + 1, loss: result.loss, lr });
    const record = stepRecord(state, stage, result, lr, samplesPerSec);
    if (state.step % cfg.output.logEvery === 0) await run.runLog.append(record);
    await run.onStep?.(record);
    const stopNow = run.signal?.aborted ||
      (run.stopAtStep !== undefined && state.step >= run.stopAtStep);
    if (stopNow || run.checkpoints.due()) {
      await run.checkpoints.save(state);
      if (stopNow) return { state, interrupted: true };
    }
  }
  return { state, interrupted: false };
}

/**
 * The NaN guard: a non-finite loss stops the run before its update is saved, naming the terms
 * that went bad and the checkpoint to resume from with a lower rate.
 */
function guardFinite(result: StepResult, state: TrainState, run: EpochRun): void {
  if (Number.isFinite(result.loss)) return;
  const bad = result.parts.filter((p) => !Number.isFinite(p.loss))
    .map((p) => `stack ${p.stack} x${p.factor}`).join(", ");
  throw new KitError(
    `the loss became ${result.loss} at step ${state.step + 1} (epoch ${state.epoch + 1}, stage ` +
      `"${run.stage.name}"${bad ? `; non-finite terms: ${bad}` : ""}); training stopped without ` +
      `saving this state. The last good checkpoint is ${join(run.runDir, "last.json")}; try a ` +
      `lower optimizer.lr (now ${run.lr}) and resume with --resume ${run.runDir}`,
  );
}

/** The run log's record of the step that brought the run to `state`. */
function stepRecord(
  state: TrainState,
  stage: Stage,
  result: StepResult,
  lr: number,
  samplesPerSec: number,
): StepRecord {
  return {
    kind: "step",
    step: state.step,
    epoch: state.epoch + 1,
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
}
