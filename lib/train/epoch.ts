/**
 * One training epoch: a step per batch from where the state left off, the NaN guard, the step
 * records of the run log, and a checkpoint when one is due or the run is asked to stop.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
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
import {
  type PendingStep,
  readSteps,
  type StepLosses,
  stepsPerReadback,
  trainStepQueued,
} from "./step.ts";

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
 * The losses are read back from the device every {@link stepsPerReadback} steps (every step on
 * cpu and wasm; on webgpu when a step is logged), in one round trip, and always before a
 * checkpoint is written and at the end of the epoch: so every saved state has passed the NaN
 * guard, and the records, `losses` and `onStep` calls are the same as when reading every step,
 * only later.
 *
 * @example
 * ```ts
 * const end = await runEpoch({ cfg, runDir, net, optimizer, pipe, stage, lr, ... }, state);
 * if (end.interrupted) return;
 * ```
 */
export async function runEpoch(run: EpochRun, state: TrainState): Promise<EpochEnd> {
  const { cfg, stage } = run;
  const epoch = state.epoch;
  // Ke's first stage trains the stacks alone: the MSR-net gets no loss, so no gradient.
  const stageLoss = stage.msrLoss ? cfg.loss : { ...cfg.loss, msrWeight: 0 };
  const perReadback = stepsPerReadback(cfg.output.logEvery);
  const queue: { pending: PendingStep; state: TrainState }[] = [];
  let samplesStart = performance.now();
  // Reads the queued steps' losses back, then guards, logs and reports each step in order.
  const drain = async () => {
    if (queue.length === 0) return;
    const steps = queue.splice(0);
    const results = await readSteps(steps.map((s) => s.pending));
    const seconds = (performance.now() - samplesStart) / 1000;
    samplesStart = performance.now();
    const samplesPerSec = cfg.schedule.batchSize * steps.length / Math.max(seconds, 1e-9);
    for (const [i, result] of results.entries()) {
      const after = steps[i]!.state;
      guardFinite(result, after, run, state.step);
      run.losses.push(result.loss);
      run.progress.tick(1, { epoch: epoch + 1, loss: result.loss, lr: run.lr });
      const record = stepRecord(after, stage, result, run.lr, samplesPerSec);
      if (after.step % cfg.output.logEvery === 0) await run.runLog.append(record);
      await run.onStep?.(record);
    }
  };
  try {
    for await (const batch of run.pipe.epoch(epoch, state.batchInEpoch)) {
      if (state.batchInEpoch >= run.stepsPerEpoch) {
        disposeBatch(batch);
        break;
      }
      try {
        const pending = trainStepQueued(run.net, run.optimizer, batch, stageLoss);
        state = { ...state, step: state.step + 1, batchInEpoch: state.batchInEpoch + 1 };
        queue.push({ pending, state });
      } finally {
        disposeBatch(batch);
      }
      const atStop = run.stopAtStep !== undefined && state.step >= run.stopAtStep;
      if (
        queue.length >= perReadback || state.step % cfg.output.logEvery === 0 || atStop ||
        run.signal?.aborted || run.checkpoints.due()
      ) {
        await drain();
      }
      // Asked again after the drain: onStep may have aborted the run.
      const stopNow = run.signal?.aborted || atStop;
      if (stopNow || run.checkpoints.due()) {
        await drain(); // a no-op unless the signal or the clock moved since the first check
        await run.checkpoints.save(state);
        if (stopNow) return { state, interrupted: true };
      }
    }
    await drain();
  } finally {
    for (const { pending } of queue) {
      pending.report.dispose();
      pending.keypointWeights?.dispose();
    }
  }
  return { state, interrupted: false };
}

/**
 * The NaN guard: a non-finite loss stops the run before its update is saved, naming the step,
 * the terms that went bad and the checkpoint to resume from with a lower rate. When losses are
 * read back every K steps (webgpu), the steps queued after the bad one have run too, on
 * non-finite weights; none of them is saved either (the queue is read before every checkpoint),
 * so the last checkpoint is from before the bad step, and the message says how many ran.
 */
function guardFinite(
  result: StepLosses,
  state: TrainState,
  run: EpochRun,
  lastQueued: number,
): void {
  if (Number.isFinite(result.loss)) return;
  const bad = result.parts.filter((p) => !Number.isFinite(p.loss))
    .map((p) => `stack ${p.stack} x${p.factor}`).join(", ");
  const later = lastQueued - state.step;
  const queued = later > 0
    ? ` The ${later} step(s) after it ran before the loss was read back (losses are read ` +
      `every ${stepsPerReadback(run.cfg.output.logEvery)} steps on ${tf.getBackend()}); ` +
      `they were not saved either.`
    : "";
  throw new KitError(
    `the loss became ${result.loss} at step ${state.step} (epoch ${state.epoch + 1}, stage ` +
      `"${run.stage.name}"${bad ? `; non-finite terms: ${bad}` : ""}); training stopped without ` +
      `saving this state.${queued} The last good checkpoint is ${join(run.runDir, "last.json")}; ` +
      `try a lower optimizer.lr (now ${run.lr}) and resume with --resume ${run.runDir}`,
  );
}

/** The run log's record of the step that brought the run to `state`. */
function stepRecord(
  state: TrainState,
  stage: Stage,
  result: StepLosses,
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
