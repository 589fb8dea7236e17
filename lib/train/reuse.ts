/**
 * Training only when needed: a finished run with exactly the same config is loaded instead of
 * trained again (notebooks that start from the model another notebook trained, re-runs).
 *
 * @module
 */

import { join } from "@std/path";
import { readCheckpointMeta, resolveCheckpoint } from "./checkpoint.ts";
import type { ExperimentConfig } from "./config.ts";
import { loadTrained, type TrainedModel } from "./load.ts";
import { train, type TrainOptions, type TrainResult } from "./loop.ts";
import { totalEpochs } from "./schedule.ts";

/**
 * Why a run directory cannot be reused for a config, or null when it can: it must hold a
 * `config.json` equal to `cfg` and a last checkpoint at the end of the schedule.
 *
 * @example
 * ```ts
 * await whyNotReusable("runs/notebooks/training", cfg); // null, or "no config.json"
 * ```
 */
export async function whyNotReusable(
  runDir: string,
  cfg: ExperimentConfig,
): Promise<string | null> {
  let saved: unknown;
  try {
    saved = JSON.parse(await Deno.readTextFile(join(runDir, "config.json")));
  } catch {
    return "no readable config.json";
  }
  if (JSON.stringify(saved) !== JSON.stringify(cfg)) return "its config.json differs";
  try {
    const meta = await readCheckpointMeta(await resolveCheckpoint(runDir, "last"));
    const epochs = totalEpochs(cfg.schedule.stages);
    if (meta.state.epoch < epochs) {
      return `it stopped after ${meta.state.epoch} of ${epochs} epochs`;
    }
  } catch {
    return "no last checkpoint";
  }
  return null;
}

/** What {@link trainOrReuse} did. */
export interface TrainOrReuse {
  readonly trained: TrainedModel;
  /** True when an existing run was loaded instead of trained. */
  readonly reused: boolean;
  /** The training result when it trained. */
  readonly result?: TrainResult;
}

/**
 * Loads the finished run in `options.runDir` when its config equals `cfg` (the run's best
 * checkpoint), and otherwise trains it from scratch there first. The active tfjs backend is
 * used. Says which it did through `options.log`.
 *
 * @example
 * ```ts
 * const { trained, reused } = await trainOrReuse(cfg, { runDir: "../runs/notebooks/training", live: false });
 * ```
 */
export async function trainOrReuse(
  cfg: ExperimentConfig,
  options: TrainOptions,
): Promise<TrainOrReuse> {
  const log = options.log ?? console.log;
  const why = await whyNotReusable(options.runDir, cfg);
  if (why === null) {
    log(`reusing the finished run in ${options.runDir} (same config)`);
    return { trained: await loadTrained(options.runDir, "best"), reused: true };
  }
  log(`training in ${options.runDir} (not reusable: ${why})`);
  const result = await train(cfg, { ...options, resume: false });
  result.model.graph.dispose();
  return { trained: await loadTrained(options.runDir, "best"), reused: false, result };
}
