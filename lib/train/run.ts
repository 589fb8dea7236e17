/**
 * A run's state between steps, as the training loop (loop.ts) keeps it: starting afresh or
 * resuming from the last checkpoint, the validation history the learning-rate schedule reads,
 * best-checkpoint tracking, and when a checkpoint is due.
 *
 * A resumed run continues from exactly the state the checkpoint holds (step counters, scores,
 * the stage its optimiser slots belong to), so it takes the steps the uninterrupted run would
 * have taken.
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs";
import { join } from "@std/path";
import { writeFileAtomic } from "../io/atomic.ts";
import { KitError } from "../io/errors.ts";
import type { PoseModel } from "../models/build.ts";
import {
  loadModelWeights,
  readCheckpointMeta,
  resolveCheckpoint,
  saveCheckpoint,
  type TrainState,
} from "./checkpoint.ts";
import type { ExperimentConfig } from "./config.ts";
import type { RunLog } from "./log.ts";
import { isNewBest, type Validation } from "./schedule.ts";

/** The state of a run before its first step. */
export const FRESH_STATE: TrainState = {
  step: 0,
  epoch: 0,
  batchInEpoch: 0,
  scores: [],
  bestScore: null,
  bestStep: null,
};

/** Where a run starts: its state, and the checkpoint it resumed from (if it did). */
export interface RunStart {
  readonly state: TrainState;
  readonly resumeDir?: string;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Starts a run in `runDir`: with `resume`, loads the last checkpoint's weights into `net` and
 * cuts the log back to that checkpoint; otherwise deletes the directory's log. Either way writes
 * the run's `config.json`. A checkpoint of a different model config is refused.
 *
 * @example
 * ```ts
 * const { state, resumeDir } = await startRun(cfg, net, { runDir, resume: true, runLog, log });
 * ```
 */
export async function startRun(
  cfg: ExperimentConfig,
  net: PoseModel,
  run: { runDir: string; resume?: boolean; runLog: RunLog; log: (line: string) => void },
): Promise<RunStart> {
  const { runDir, runLog } = run;
  let start: RunStart = { state: FRESH_STATE };
  if (run.resume) {
    const resumeDir = await resolveCheckpoint(runDir, "last");
    const meta = await readCheckpointMeta(resumeDir);
    const saved = meta.config as unknown as ExperimentConfig;
    if (!sameJson(saved.model, cfg.model)) {
      throw new KitError(
        `${resumeDir}: the checkpoint's model config differs from this run's; resume with the ` +
          `run's own config (${join(runDir, "config.json")})`,
      );
    }
    await loadModelWeights(resumeDir, net.graph);
    const state = meta.state;
    await runLog.truncateAfter(state.step, state.epoch);
    run.log(
      `resume: ${resumeDir} (step ${state.step}, epoch ${state.epoch}, batch ${state.batchInEpoch})`,
    );
    start = { state, resumeDir };
  } else {
    await Deno.remove(runLog.path).catch(() => {});
  }
  await writeFileAtomic(join(runDir, "config.json"), JSON.stringify(cfg, null, 2));
  return start;
}

/**
 * The validations of a run so far, by epoch. `state.extra.scoreEpochs` holds the epoch each of
 * `state.scores` followed; a checkpoint written before it existed validated every epoch.
 *
 * @example
 * ```ts
 * validationHistory({ ...state, scores: [40, 55], extra: { scoreEpochs: [1, 3] } });
 * // [{ epoch: 1, score: 40 }, { epoch: 3, score: 55 }]
 * ```
 */
export function validationHistory(state: TrainState): Validation[] {
  const epochs = state.extra?.scoreEpochs;
  const known = Array.isArray(epochs) && epochs.length === state.scores.length;
  return state.scores.map((score, i) => ({
    epoch: known ? Number((epochs as unknown[])[i]) : i,
    score,
  }));
}

/**
 * The state after the validation that followed epoch `epoch` (0-based) scored `score` on the
 * heatmaps from `source`, and whether it is the run's new best. The best is chosen among
 * validations of the same output (see isNewBest).
 *
 * @example
 * ```ts
 * const { state: next, isBest } = recordValidation(state, 0, 42.5, "final");
 * next.scores; // [..., 42.5]
 * ```
 */
export function recordValidation(
  state: TrainState,
  epoch: number,
  score: number,
  source: string,
): { state: TrainState; isBest: boolean } {
  const bestSource = state.extra?.bestSource;
  const isBest = isNewBest(
    state.bestScore === null || typeof bestSource !== "string"
      ? null
      : { score: state.bestScore, source: bestSource },
    { score, source },
  );
  return {
    isBest,
    state: {
      ...state,
      scores: [...state.scores, score],
      ...(isBest ? { bestScore: score, bestStep: state.step } : {}),
      extra: {
        ...state.extra,
        scoreEpochs: [...validationHistory(state).map((v) => v.epoch), epoch],
        ...(isBest ? { bestSource: source } : {}),
      },
    },
  };
}

/** Writes a run's checkpoints and says when the next timed one is due. */
export interface Checkpointer {
  /** Whether `output.checkpointMinutes` have passed since the last checkpoint (never when 0). */
  due(): boolean;
  /** Writes a checkpoint of `state` (and points best.json at it when `isBest`). */
  save(state: TrainState, isBest?: boolean): Promise<void>;
}

/**
 * The checkpointer of a run: saves `net`, the optimiser of the current stage and the stage it
 * belongs to (read from `optimizer()` at each save), and restarts the timer.
 *
 * @example
 * ```ts
 * const checkpoints = checkpointer(cfg, runDir, net, () => stageOptimizer);
 * if (checkpoints.due()) await checkpoints.save(state);
 * ```
 */
export function checkpointer(
  cfg: ExperimentConfig,
  runDir: string,
  net: PoseModel,
  optimizer: () => { optimizer: tf.Optimizer | undefined; stage: number },
): Checkpointer {
  let last = performance.now();
  return {
    due: () =>
      cfg.output.checkpointMinutes > 0 &&
      performance.now() - last > cfg.output.checkpointMinutes * 60_000,
    save: async (state, isBest = false) => {
      const current = optimizer();
      await saveCheckpoint(runDir, {
        model: net.graph,
        optimizer: current.optimizer,
        config: cfg,
        state: { ...state, extra: { ...state.extra, optimizerStage: current.stage } },
        isBest,
      });
      last = performance.now();
    },
  };
}
