/**
 * Entering a training stage (Ke et al. train the MSS-net, then the MSR-net alone, then all with
 * keypoint masking): which weights train, a fresh optimiser, the stage's learning rate, and the
 * training pipeline with or without masking.
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs";
import { openPipeline, type Pipeline } from "../data/pipeline.ts";
import { type PoseModel, setTrainable } from "../models/build.ts";
import { loadOptimizerState, type TrainState } from "./checkpoint.ts";
import type { ExperimentConfig } from "./config.ts";
import { makeOptimizer, type OptimizerConfig, setLearningRate } from "./optimizer.ts";
import { validationHistory } from "./run.ts";
import { type Stage, stageLearningRate } from "./schedule.ts";

/**
 * The optimiser of the stage being trained. Each stage trains its own set of weights; tfjs
 * optimisers keep their slots by position in that set, so a stage starts with a fresh optimiser
 * rather than misaligned slots.
 *
 * @example
 * ```ts
 * const optim = new StageOptimizer(cfg.optimizer, resumeDir);
 * const optimizer = await optim.enter(net, stage, index, state);
 * optim.dispose();
 * ```
 */
export class StageOptimizer {
  /** The optimiser of stage `stage`; undefined before the first stage is entered. */
  optimizer: tf.Optimizer | undefined;
  /** The index of the stage the optimiser belongs to (-1 before the first). */
  stage = -1;

  constructor(readonly config: OptimizerConfig, readonly resumeDir?: string) {}

  /**
   * Enters stage `index` (freezing what it does not train, with a fresh optimiser) unless it is
   * the current one, and returns its optimiser. The checkpoint's optimiser slots belong to the
   * stage that wrote them (`state.extra.optimizerStage`); a run resumed at the start of a new
   * stage starts that stage fresh, as the uninterrupted run did.
   */
  async enter(
    net: PoseModel,
    stage: Stage,
    index: number,
    state: TrainState,
  ): Promise<tf.Optimizer> {
    if (index !== this.stage || !this.optimizer) {
      setTrainable(net, stage.trains);
      this.optimizer?.dispose();
      this.optimizer = makeOptimizer(this.config);
      if (this.resumeDir && this.stage === -1 && state.extra?.optimizerStage === index) {
        await loadOptimizerState(this.resumeDir, this.optimizer);
      }
      this.stage = index;
    }
    return this.optimizer;
  }

  /** Frees the optimiser's slots. */
  dispose(): void {
    this.optimizer?.dispose();
  }
}

/**
 * Sets the learning rate of epoch `epoch` (0-based): each stage has its own schedule state,
 * starting from its own rate (see stageLearningRate). Returns the rate.
 *
 * @example
 * ```ts
 * const lr = setStageLearningRate(optimizer, cfg, epoch, state);
 * ```
 */
export function setStageLearningRate(
  optimizer: tf.Optimizer,
  cfg: ExperimentConfig,
  epoch: number,
  state: TrainState,
): number {
  const lr = stageLearningRate(
    cfg.optimizer.lr,
    cfg.schedule.lr,
    cfg.schedule.stages,
    epoch,
    validationHistory(state),
  );
  setLearningRate(optimizer, lr);
  return lr;
}

/**
 * The training pipeline, with keypoint masking on or off as the stage asks: reopened only when
 * that changes. Samples that cannot be loaded are reported once each and counted.
 *
 * @example
 * ```ts
 * const data = new TrainPipeline(cfg, console.log);
 * const pipe = await data.open(stage.masking);
 * data.close();
 * data.skipped; // distinct samples skipped
 * ```
 */
export class TrainPipeline {
  #pipe: Pipeline | undefined;
  #masking: boolean | undefined;
  readonly #bad = new Set<number>();

  constructor(readonly cfg: ExperimentConfig, readonly log: (line: string) => void) {}

  /** The pipeline with masking `masking`, opened if the current one differs. */
  async open(masking: boolean): Promise<Pipeline> {
    if (this.#pipe && this.#masking === masking) return this.#pipe;
    this.#pipe?.close();
    const { cfg } = this;
    const data = { ...cfg.data, masking: { ...cfg.data.masking, enabled: masking } };
    this.#pipe = await openPipeline(data, "train", {
      mode: "train",
      batchSize: cfg.schedule.batchSize,
      seed: cfg.seed,
      onSkip: (f) => {
        // A bad sample can be drawn again as another one's replacement: report it once.
        if (this.#bad.has(f.index)) return;
        this.#bad.add(f.index);
        this.log(`skipped sample ${f.index} (${f.path ?? "no file"}): ${f.message}`);
      },
    });
    this.#masking = masking;
    return this.#pipe;
  }

  /** Distinct training samples skipped so far because they could not be loaded. */
  get skipped(): number {
    return this.#bad.size;
  }

  /** Closes the open pipeline, if any. */
  close(): void {
    this.#pipe?.close();
  }
}
