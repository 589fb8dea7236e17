/**
 * Validation: a network scored on an experiment's validation split, with the metric that split
 * gets (torso PCK@0.2 for LSP and FLIC, PCKh at `eval.alpha` otherwise) and the one name that
 * metric is printed under.
 *
 * The training loop does not evaluate. It calls a {@link Validator} after the epochs its
 * schedule validates (`TrainOptions.validation` in lib/train/loop.ts, by default
 * {@link openValidator}), so what "validation" means lives here, next to `deno task eval` and the
 * notebooks that use the same {@link validate}, and a caller can hand a run another one. The
 * dependency runs one way: lib/train imports this module, nothing in lib/eval imports lib/train.
 *
 * @module
 */

import type { DataConfig } from "../data/config.ts";
import { openPipeline, type Pipeline } from "../data/pipeline.ts";
import { type HeatmapSource, type PoseModel, predictHeatmaps } from "../models/build.ts";
import { Progress } from "../progress/progress.ts";
import { FLIC_TORSO } from "../skeleton/flic.ts";
import { LSP_TORSO } from "../skeleton/lsp.ts";
import { evaluateSplit, type SplitEvaluation, type SplitMetric, tidyPredict } from "./dataset.ts";

/** The `eval` settings validation reads (an experiment's `eval` section has them). */
export interface ValidationSettings {
  /** People per forward pass. */
  readonly batchSize: number;
  /** Average the heatmaps of the image and its mirror image. */
  readonly flip: boolean;
  /** PCKh threshold in head sizes (LSP and FLIC always use torso PCK@0.2). */
  readonly alpha: number;
}

/** What validation needs of an experiment: its data and evaluation sections. */
export interface ValidationConfig {
  readonly data: DataConfig;
  readonly eval: ValidationSettings;
}

/** The torso PCK threshold of LSP and FLIC, as their papers report them. */
const TORSO_PCK_ALPHA = 0.2;

/**
 * The score a split gets: torso PCK@0.2 for LSP and FLIC, PCKh at `alpha` otherwise.
 *
 * @example
 * ```ts
 * splitMetric(cfg.data, 0.5); // { kind: "pckh", alpha: 0.5 } for SynthPose and MPII
 * ```
 */
export function splitMetric(data: DataConfig, alpha: number): SplitMetric {
  if (data.dataset === "lsp") return { kind: "pck", alpha: TORSO_PCK_ALPHA, torso: LSP_TORSO };
  if (data.dataset === "flic") return { kind: "pck", alpha: TORSO_PCK_ALPHA, torso: FLIC_TORSO };
  return { kind: "pckh", alpha };
}

/**
 * The name a metric is printed under, in tables and log lines.
 *
 * @example
 * ```ts
 * metricLabel({ kind: "pckh", alpha: 0.5 }); // "PCKh@0.5"
 * metricLabel(splitMetric(lspData, 0.5)); // "PCK@0.2"
 * ```
 */
export function metricLabel(metric: SplitMetric): string {
  return `${metric.kind === "pckh" ? "PCKh" : "PCK"}@${metric.alpha}`;
}

/** Options of {@link validate}. */
export interface ValidateOptions {
  /** Redraw the progress bar in place (default: stdout is a terminal). */
  readonly live?: boolean;
  /** Milliseconds between plain progress lines when not live (default 10 000). */
  readonly everyMs?: number;
  /** The progress line's label (default "validate"). */
  readonly label?: string;
  /** Which heatmaps to score (default the final output). */
  readonly from?: HeatmapSource;
}

/**
 * Evaluates a model on one pass of `pipeline` (an eval-mode pipeline of the experiment's data),
 * scored with {@link splitMetric}.
 *
 * @example
 * ```ts
 * const ev = await validate(net, cfg, valPipeline);
 * ev.result.mean; // PCKh@0.5
 * ```
 */
export async function validate(
  net: PoseModel,
  cfg: ValidationConfig,
  pipeline: Pipeline,
  options: ValidateOptions = {},
): Promise<SplitEvaluation> {
  const progress = new Progress({
    total: pipeline.batchesPerEpoch * cfg.eval.batchSize,
    unit: "samples",
    label: options.label ?? "validate",
    live: options.live,
    everyMs: options.everyMs ?? 10_000,
  });
  const ev = await evaluateSplit(
    tidyPredict((x) => predictHeatmaps(net, x, options.from)),
    pipeline,
    {
      stride: cfg.data.outputStride,
      metric: splitMetric(cfg.data, cfg.eval.alpha),
      flip: cfg.eval.flip,
      // A model trained with MSSH's negative targets marks occluded joints with negative peaks.
      signed: cfg.data.occludedTarget === "negative",
      onBatch: () => progress.tick(cfg.eval.batchSize),
    },
  );
  progress.done();
  return ev;
}

/** The validation a training run calls after the epochs its schedule validates. */
export interface Validator {
  /** The score it reports. */
  readonly metric: SplitMetric;
  /** People per pass (the last batch's padding included). */
  readonly samples: number;
  /** Scores `net`'s heatmaps from `from` on one pass of the split. */
  run(net: PoseModel, from: HeatmapSource): Promise<SplitEvaluation>;
  /** Closes the split's pipeline. */
  close(): void;
}

/**
 * The default {@link Validator}: the experiment's `val` split through an eval-mode pipeline.
 *
 * @example
 * ```ts
 * const validator = await openValidator(cfg, { live: false });
 * const ev = await validator.run(net, "final");
 * validator.close();
 * ```
 */
export async function openValidator(
  cfg: ValidationConfig,
  options: Pick<ValidateOptions, "live" | "everyMs"> = {},
): Promise<Validator> {
  const pipeline = await openPipeline(cfg.data, "val", {
    mode: "eval",
    batchSize: cfg.eval.batchSize,
  });
  return {
    metric: splitMetric(cfg.data, cfg.eval.alpha),
    samples: pipeline.batchesPerEpoch * cfg.eval.batchSize,
    run: (net, from) => validate(net, cfg, pipeline, { ...options, from }),
    close: () => pipeline.close(),
  };
}
