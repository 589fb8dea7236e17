/**
 * What a joint-presence analysis (Newell et al. Fig. 11 right: thresholding a heatmap's max or
 * mean activation to tell whether a joint is annotated) can be read as, given how the model was
 * trained on unannotated joints (`loss.missing`).
 *
 * @module
 */

import type { MissingJoints } from "../losses/config.ts";
import { type PresenceCurve, presenceCurve } from "../metrics/presence.ts";
import { J } from "../skeleton/mpii.ts";
import type { SplitEvaluation } from "./dataset.ts";

/** How the model under a presence analysis was trained on unannotated joints. */
export interface PresenceTraining {
  readonly missing: MissingJoints;
  /** One sentence for a figure caption or a report. */
  readonly note: string;
}

/**
 * The caption a joint-presence analysis carries: whether the model was trained towards all-zero
 * maps for unannotated joints (Newell §3.4: "a ground truth heatmap of all zeros is provided",
 * which is what makes a low activation a learnt "absent"), or never trained on them.
 *
 * @example
 * ```ts
 * presenceTraining(cfg.loss.missing).note;
 * // "trained with all-zero maps for unannotated joints (loss.missing "zero", Newell §3.4) ..."
 * ```
 */
export function presenceTraining(missing: MissingJoints): PresenceTraining {
  const note = missing === "zero"
    ? 'trained with all-zero maps for unannotated joints (loss.missing "zero", Newell §3.4): ' +
      "a low activation is what the network learnt for an absent joint, as in Newell Fig. 11"
    : 'trained without a target for unannotated joints (loss.missing "ignore"): their maps ' +
      "got no gradient, so presence is read from a by-product, not from what Newell et al. " +
      "trained (Fig. 11 assumes all-zero targets)";
  return { missing, note };
}

/** Newell's joints for the presence analysis: "We consider the ankle and knee" (§5, Fig. 11). */
export const PRESENCE_JOINTS = {
  knee: [J.r_knee, J.l_knee],
  ankle: [J.r_ankle, J.l_ankle],
} as const;

/**
 * Newell Fig. 11 (right) on an evaluation: precision/recall of "the joint is annotated" when
 * thresholding each heatmap's maximum (the evaluation's `confidence`), for knees and ankles, with
 * the caption of how the model was trained on unannotated joints.
 *
 * @example
 * ```ts
 * const p = presenceAnalysis(ev, cfg.loss.missing);
 * p.curves.knee.auc; p.training.note;
 * ```
 */
export function presenceAnalysis(
  ev: Pick<SplitEvaluation, "confidence" | "gt">,
  missing: MissingJoints,
): { curves: { knee: PresenceCurve; ankle: PresenceCurve }; training: PresenceTraining } {
  const present = Array.from(ev.gt.visibility, (v) => (v > 0 ? 1 : 0));
  const nj = ev.gt.numJoints;
  return {
    curves: {
      knee: presenceCurve(ev.confidence, present, nj, PRESENCE_JOINTS.knee),
      ankle: presenceCurve(ev.confidence, present, nj, PRESENCE_JOINTS.ankle),
    },
    training: presenceTraining(missing),
  };
}
