/**
 * Learning-rate schedules and Ke et al.'s three training stages, as pure functions of the epoch
 * and of the validation history, so a resumed run recomputes exactly the same rates.
 *
 * @module
 */

import { choice, expect, type Infer, int, positive, section, strict, z } from "../config/config.ts";

/** Learning-rate schedule kinds. */
export const SCHEDULE_KINDS = ["constant", "step", "plateau"] as const;

/** A learning-rate schedule kind. */
export type ScheduleKind = typeof SCHEDULE_KINDS[number];

/** The learning-rate schedule (`schedule.lr` in the experiment config); default: Ke's plateau rule. */
export const lrScheduleSchema = section({
  /** `step`: multiply by `gamma` at each milestone epoch; `plateau`: divide by `1 / factor` after `patience` epochs without improvement (Ke: divide by 5 after 8). */
  kind: z.enum(SCHEDULE_KINDS).default("plateau"),
  milestones: z.array(z.number()).default(() => []),
  gamma: z.number().default(0.1),
  patience: z.number().default(8),
  factor: z.number().default(0.2),
  minLr: z.number().default(0),
});

/** A learning-rate schedule. */
export type LrSchedule = Infer<typeof lrScheduleSchema>;

/**
 * The learning rate for `epoch` (0-based) under a step schedule: the base rate times `gamma`
 * once for every milestone already reached.
 *
 * @example
 * ```ts
 * stepLr(1e-3, 5, [4, 8], 0.1); // 1e-4
 * ```
 */
export function stepLr(
  base: number,
  epoch: number,
  milestones: readonly number[],
  gamma: number,
): number {
  const passed = milestones.filter((m) => epoch >= m).length;
  return base * gamma ** passed;
}

/**
 * The learning rate after each validated epoch under divide-on-plateau: given the validation
 * scores so far (higher is better), how many reductions have happened and the current rate.
 * A reduction happens when `patience` epochs in a row bring no improvement over the best, and
 * the count of non-improving epochs starts again after it.
 *
 * @example
 * ```ts
 * plateauLr(2.5e-4, [50, 51, 51, 50], { patience: 2, factor: 0.2, minLr: 0 }); // 5e-5
 * ```
 */
export function plateauLr(
  base: number,
  scores: readonly number[],
  o: { patience: number; factor: number; minLr: number },
): number {
  let lr = base;
  let best = -Infinity;
  let bad = 0;
  for (const s of scores) {
    if (s > best) {
      best = s;
      bad = 0;
    } else if (++bad >= o.patience) {
      lr = Math.max(o.minLr, lr * o.factor);
      bad = 0;
    }
  }
  return lr;
}

/**
 * The learning rate of `epoch` of a single-stage run given the schedule and the validation
 * scores of the epochs before it (staged runs use `stageLearningRate`).
 *
 * @example
 * ```ts
 * learningRate(2.5e-4, { kind: "constant", ... }, 3, []); // 2.5e-4
 * ```
 */
export function learningRate(
  base: number,
  schedule: LrSchedule,
  epoch: number,
  scores: readonly number[],
): number {
  return scheduledRate(base, schedule, epoch, scores.slice(0, epoch));
}

/**
 * The rate `schedule` gives at `epoch` starting from `start`, where `plateauScores` are the
 * validation scores a plateau schedule reads (a step schedule counts epochs from the run's start).
 */
function scheduledRate(
  start: number,
  schedule: LrSchedule,
  epoch: number,
  plateauScores: readonly number[],
): number {
  switch (schedule.kind) {
    case "constant":
      return start;
    case "step":
      return Math.max(schedule.minLr, stepLr(start, epoch, schedule.milestones, schedule.gamma));
    case "plateau":
      return plateauLr(start, plateauScores, schedule);
  }
}

/** One validation: the 0-based training epoch it followed and its score (higher is better). */
export interface Validation {
  readonly epoch: number;
  readonly score: number;
}

/**
 * The first epoch (0-based) of stage `index`.
 *
 * @example
 * ```ts
 * stageStartEpoch([{ epochs: 150 }, { epochs: 75 }, { epochs: 75 }], 2); // 225
 * ```
 */
export function stageStartEpoch(
  stages: readonly { readonly epochs: number }[],
  index: number,
): number {
  return stages.slice(0, index).reduce((n, s) => n + s.epochs, 0);
}

/**
 * The learning rate of `epoch` in a staged run. Each stage starts from its own rate
 * (`base · stage.lrScale`) with its own schedule state: a plateau schedule reads only the
 * validations of the current stage (its own best, patience count and drops), because Ke et al.
 * describe each stage as its own training ("For the first stage we train the MSS-Net for 150
 * epochs, with the initial learning rate to be 5e-4. The learn rate is reduced by a factor of 5
 * when the performance dose not improve after 8 epochs. We then train the MSR-Net for 75 epochs
 * with the MSS-Net parameters fixed.", §IV-A.1), and stage 2's scores (the MSR-net's output) are
 * not comparable with stage 1's (the last stack's). A step schedule is a fixed timetable of the
 * whole run: its milestones count epochs from the start of the run, so runs with different
 * stagings (the ablation's rows) follow the same rate curve.
 *
 * @example
 * ```ts
 * const stages = [{ name: "mss", epochs: 2, lrScale: 1, ... }, { name: "msr", epochs: 2, lrScale: 1, ... }];
 * // Stage 1 dropped its rate twice; stage 2 starts again from 5e-4.
 * stageLearningRate(5e-4, plateau, stages, 2, [{ epoch: 0, score: 50 }, { epoch: 1, score: 40 }]); // 5e-4
 * ```
 */
export function stageLearningRate(
  base: number,
  schedule: LrSchedule,
  stages: readonly Stage[],
  epoch: number,
  history: readonly Validation[],
): number {
  const { index, stage } = stageAt(stages, epoch);
  const start = stageStartEpoch(stages, index);
  const ownScores = history.filter((v) => v.epoch >= start && v.epoch < epoch).map((v) => v.score);
  return scheduledRate(base * stage.lrScale, schedule, epoch, ownScores);
}

/**
 * Whether a validation replaces the best checkpoint. The rule: the best is chosen among
 * validations of the same output (`heatmapSourceAt`: the last stack's heatmaps before the
 * MSR-net has trained, the MSR-net's after), since only those are comparable and the later one
 * is what `deno task eval` predicts with. When the output changes, the first validation of the
 * new output becomes the best whatever its score, so `best.json` always ends on the output the
 * final stage is scored on.
 *
 * @example
 * ```ts
 * isNewBest({ score: 70, source: "stacks" }, { score: 40, source: "final" }); // true
 * isNewBest({ score: 45, source: "final" }, { score: 40, source: "final" }); // false
 * ```
 */
export function isNewBest(
  best: { readonly score: number; readonly source: string } | null,
  current: { readonly score: number; readonly source: string },
): boolean {
  return best === null || best.source !== current.source || current.score > best.score;
}

/** What a training stage trains. */
export const STAGE_TRAINS = ["all", "msr-only"] as const;

/**
 * `all`: every weight; `msr-only` (spelt `msr` before): only the MSR-net, the MSS-net frozen
 * (Ke's second stage).
 */
export type StageTrains = typeof STAGE_TRAINS[number];

/**
 * One training stage (Ke et al. train MSS-net, then MSR-net alone, then all with masking); a
 * stage given in a config takes the default for each key it leaves out.
 */
export const stageSchema = strict({
  name: z.string().default("main"),
  epochs: int(0).default(100),
  trains: choice(STAGE_TRAINS, { msr: "msr-only" }).default("all"),
  /** Turn keypoint masking on for this stage. */
  masking: z.boolean().default(false),
  /** Learning-rate multiplier for this stage. */
  lrScale: positive().default(1),
  /**
   * Whether the MSR-net's loss counts in this stage. Ke's first stage trains the MSS-net alone:
   * with `false` the MSR-net gets no loss (and so no gradient) while the stacks train.
   */
  msrLoss: z.boolean().default(true),
}).superRefine((s, ctx) => {
  const msrOnly = s.trains === "msr-only";
  expect(
    ctx,
    !msrOnly || s.msrLoss,
    "msrLoss",
    "true in a stage that trains only the MSR-net",
    s.msrLoss,
  );
});

/** One training stage. */
export type Stage = Infer<typeof stageSchema>;

/**
 * The stage an epoch (0-based) belongs to and the epoch within it; past the last stage, the
 * last stage continues.
 *
 * @example
 * ```ts
 * stageAt([{ name: "mss", epochs: 2, ... }, { name: "msr", epochs: 1, ... }], 2); // { index: 1, stage: msr, epochInStage: 0 }
 * ```
 */
export function stageAt(
  stages: readonly Stage[],
  epoch: number,
): { index: number; stage: Stage; epochInStage: number } {
  if (stages.length === 0) throw new Error("a schedule needs at least one stage");
  let start = 0;
  for (let i = 0; i < stages.length; i++) {
    const s = stages[i]!;
    if (epoch < start + s.epochs || i === stages.length - 1) {
      return { index: i, stage: s, epochInStage: epoch - start };
    }
    start += s.epochs;
  }
  throw new Error("unreachable");
}

/**
 * The heatmaps to validate and predict with after training epoch `epoch` (0-based): the
 * last stack's (`"stacks"`) until a stage with the MSR-net's loss has begun, then the final
 * output. In Ke's first stage the MSR-net has no loss, so its output is still noise while the
 * stacks learn; scoring it would report (and pick the best checkpoint by) that noise.
 *
 * @example
 * ```ts
 * const stages = [{ name: "mss", epochs: 2, msrLoss: false, ... }, { name: "msr", epochs: 1, msrLoss: true, ... }];
 * heatmapSourceAt(stages, 1); // "stacks"
 * heatmapSourceAt(stages, 2); // "final"
 * ```
 */
export function heatmapSourceAt(
  stages: readonly Stage[],
  epoch: number,
): "final" | "stacks" {
  const { index } = stageAt(stages, Math.max(epoch, 0));
  return stages.slice(0, index + 1).some((s) => s.msrLoss) ? "final" : "stacks";
}

/**
 * Total epochs over all stages.
 *
 * @example
 * ```ts
 * totalEpochs([{ epochs: 2 }, { epochs: 3 }]); // 5
 * ```
 */
export function totalEpochs(stages: readonly { readonly epochs: number }[]): number {
  return stages.reduce((n, s) => n + s.epochs, 0);
}
