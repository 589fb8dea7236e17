/**
 * Loading a trained model from a run or checkpoint directory, with the experiment config it was
 * trained with: what `deno task eval`, `deno task predict` and the notebooks start from.
 *
 * @module
 */

import { join } from "@std/path";
import { buildModel, type HeatmapSource, type PoseModel } from "../models/build.ts";
import {
  type CheckpointPointer,
  loadModelWeights,
  readCheckpointMeta,
  resolveCheckpoint,
  type TrainState,
} from "./checkpoint.ts";
import { type ExperimentConfig, loadExperiment } from "./config.ts";
import { heatmapSourceAt } from "./schedule.ts";

/**
 * A model with its weights loaded and where they came from. Disposing it (or leaving its `using`
 * block) frees the weights; a second dispose does nothing.
 */
export interface TrainedModel extends Disposable {
  readonly net: PoseModel;
  readonly config: ExperimentConfig;
  readonly state: TrainState;
  /** The checkpoint directory the weights came from. */
  readonly dir: string;
  /**
   * The heatmaps to predict with: the last stack's when the checkpoint was written before the
   * MSR-net's first training stage (see `heatmapSourceAt`), else the final output.
   */
  readonly heatmaps: HeatmapSource;
}

/**
 * Loads a checkpoint: a run directory (its `best.json` by default, or `last.json`) or a
 * checkpoint directory. The saved config is re-validated, so a checkpoint from an older kit
 * with keys this kit no longer knows fails with the key's name.
 *
 * @example
 * ```ts
 * using trained = await loadTrained("runs/synth-hourglass-tiny");
 * const heatmaps = predictHeatmaps(trained.net, crops);
 * // Leaving the block frees the weights.
 * ```
 */
export async function loadTrained(
  path: string,
  pointer: CheckpointPointer = "best",
): Promise<TrainedModel> {
  const dir = await resolveCheckpoint(path, pointer);
  const meta = await readCheckpointMeta(dir);
  // Through loadExperiment like every command: errors name <checkpoint>/config.json and the key.
  const config = await loadExperiment(join(dir, "config.json"));
  const net = buildModel(config.model, { seed: config.seed });
  await loadModelWeights(dir, net.graph);
  // The epoch of the checkpoint's last step: the current one mid-epoch, else the one just done.
  const lastEpoch = meta.state.batchInEpoch > 0 ? meta.state.epoch : meta.state.epoch - 1;
  const heatmaps = heatmapSourceAt(config.schedule.stages, lastEpoch);
  let disposed = false;
  return {
    net,
    config,
    state: meta.state,
    dir,
    heatmaps,
    [Symbol.dispose]() {
      // tfjs throws on a second dispose; leaving a `using` block after an explicit dispose must not.
      if (disposed) return;
      disposed = true;
      net.graph.dispose();
    },
  };
}
