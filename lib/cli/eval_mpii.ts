/**
 * `deno task eval-mpii --gt <file> --pred <file> [--convention bearpaw|official] [--json]`:
 * scores predictions against MPII ground truth and prints the papers' PCKh table. The default
 * rules are bearpaw/pytorch-pose's eval_PCKh.py, which the papers' numbers come from; `official`
 * uses the MPII toolkit's.
 *
 * @module
 */

import { choiceFlag, type Flags, numberFlag, parseFlags, runMain } from "./args.ts";
import { KitError } from "../io/errors.ts";
import { type MpiiGroundTruth, readMpiiGroundTruth, readPredictions } from "../eval/mpii_files.ts";
import {
  formatPckTable,
  formatPerJoint,
  formatRate,
  pckh,
  PCKH_CONVENTIONS,
  pckhByVisibility,
  type PckhConvention,
  pckJson,
} from "../metrics/mod.ts";
import { MPII_JOINTS } from "../skeleton/mod.ts";

const USAGE = `usage: deno task eval-mpii --gt <file> --pred <file> [options]

  --gt <file>          ground truth: MPII evaluation .mat (pos_gt_src, jnt_missing,
                       headboxes_src) or pose-hg-train valid.h5 (part, normalize)
  --pred <file>        predictions: preds Nx16x2 (.mat or .h5), pos_pred_src 16x2xN (.mat),
                       or a JSON array Nx16x2, in the ground truth's order
  --convention <c>     bearpaw (eval_PCKh.py, default) or official (MPII toolkit)
  --alpha <a>          threshold in head sizes (default 0.5)
  --json               print a JSON summary as the last line
  --per-joint          also list every joint's rate
  --visibility         also score visible and occluded joints apart (needs valid.h5's visible)
  --nan-as-miss        score NaN predictions as misses (as eval_PCKh.py does) instead of failing
  --skip-zero-head     leave out people whose head box has zero size instead of failing`;

const RULES: Record<PckhConvention, string> = {
  bearpaw: "bearpaw rules (eval_PCKh.py): correct if distance < alpha x head size; " +
    "Head = head top; Mean = unweighted mean of the 14 joints without pelvis and thorax",
  official: "official MPII rules: correct if distance <= alpha x head size; " +
    "Head = mean of upper neck and head top; Mean = pooled Total of the 14 joints",
};

function required(flags: Flags, name: string): string {
  const v = flags[name];
  if (typeof v !== "string" || v === "") throw new KitError(`--${name} is required\n${USAGE}`);
  return v;
}

function listSome(items: readonly number[], max = 5): string {
  const head = items.slice(0, max).join(", ");
  return items.length > max ? `${head} and ${items.length - max} more` : head;
}

/** Refuses NaN predictions of annotated joints unless asked to score them as misses. */
function checkFinite(gt: MpiiGroundTruth, preds: Float64Array, predPath: string, allow: boolean) {
  const bad: string[] = [];
  let count = 0;
  for (let k = 0; k < gt.count * gt.numJoints; k++) {
    if (gt.visibility[k] === 0) continue;
    if (Number.isFinite(preds[2 * k]!) && Number.isFinite(preds[2 * k + 1]!)) continue;
    count++;
    if (bad.length < 3) {
      bad.push(`person ${Math.floor(k / gt.numJoints)} ${MPII_JOINTS[k % gt.numJoints]}`);
    }
  }
  if (count > 0 && !allow) {
    throw new KitError(
      `${predPath}: ${count} prediction(s) of annotated joints are NaN or infinite ` +
        `(${bad.join("; ")}${count > 3 ? "; ..." : ""}); pass --nan-as-miss to score them as ` +
        `misses, as eval_PCKh.py does`,
    );
  }
}

/** Refuses people with a zero head size unless asked to leave them out. */
function checkHeads(gt: MpiiGroundTruth, allow: boolean) {
  const zero: number[] = [];
  for (let i = 0; i < gt.count; i++) {
    let annotated = false;
    for (let j = 0; j < gt.numJoints; j++) annotated ||= gt.visibility[i * gt.numJoints + j]! > 0;
    const h = gt.headSizes[i]!;
    if (annotated && !(h > 0 && Number.isFinite(h))) zero.push(i);
  }
  if (zero.length > 0 && !allow) {
    throw new KitError(
      `${gt.path}: ${zero.length} annotated people have a zero or invalid head size ` +
        `(person ${listSome(zero)}); PCKh is undefined for them: pass --skip-zero-head to ` +
        `leave them out`,
    );
  }
}

/**
 * Runs the evaluation; lines go to `print` (stdout by default). Bad input throws a KitError.
 *
 * @example
 * ```ts
 * await main(["--gt", "detections_our_format.mat", "--pred", "preds.mat", "--json"]);
 * ```
 */
export async function main(
  args: readonly string[],
  print: (line: string) => void = console.log,
): Promise<void> {
  const flags = parseFlags(args, {
    string: ["gt", "pred", "convention", "alpha"],
    boolean: ["json", "per-joint", "visibility", "nan-as-miss", "skip-zero-head"],
  }, USAGE);
  if (flags._.length > 0) throw new KitError(`unexpected argument "${flags._[0]}"\n${USAGE}`);
  const gtPath = required(flags, "gt");
  const predPath = required(flags, "pred");
  const convention = choiceFlag(flags, "convention", PCKH_CONVENTIONS, "bearpaw");
  const alpha = numberFlag(flags, "alpha", 0.5, { min: 0 });

  const gt = await readMpiiGroundTruth(gtPath);
  const preds = await readPredictions(predPath);
  if (preds.shape[0] !== gt.count) {
    throw new KitError(
      `${predPath}: ${preds.shape[0]} people predicted but ${gtPath} has ${gt.count}; ` +
        `predictions must list the ground truth's people in the same order`,
    );
  }
  checkFinite(gt, preds.data, predPath, flags["nan-as-miss"] === true);
  checkHeads(gt, flags["skip-zero-head"] === true);
  if (flags.visibility && !gt.hasOcclusion) {
    throw new KitError(
      `${gtPath}: --visibility needs occlusion flags, which only pose-hg-train's valid.h5 ` +
        `("visible") has`,
    );
  }
  const options = {
    alpha,
    convention,
    zeroHeadSize: flags["skip-zero-head"] ? "exclude" as const : "error" as const,
  };
  const split = flags.visibility ? pckhByVisibility(gt, preds.data, gt.headSizes, options) : null;
  const result = split?.all ?? pckh(gt, preds.data, gt.headSizes, options);

  const annotated = result.counts.reduce((a, b) => a + b, 0);
  print(`eval-mpii: ${gtPath} (${gt.count} people, ${annotated} annotated joints) vs ${predPath}`);
  print(`PCKh@${alpha}, ${RULES[convention]}`);
  const rows = [{ label: `PCKh@${alpha}`, result }];
  if (split) {
    rows.push({ label: "visible", result: split.visible }, {
      label: "occluded",
      result: split.occluded,
    });
  }
  print(formatPckTable(rows));
  print(
    `count-weighted mean ${formatRate(result.weightedMean)} · UBody ${
      formatRate(result.upperBody)
    } · AUC (alpha 0 to 0.5) ${formatRate(result.auc)}`,
  );
  if (gt.format === "h5") {
    print(
      "note: pose-hg-train's valid.h5 rounds some annotations (e.g. the upper neck); the papers' " +
        "numbers use detections_our_format.mat, which can differ by about 0.1",
    );
  }
  if (result.nonFinitePredictions > 0) {
    print(`note: ${result.nonFinitePredictions} NaN prediction(s) scored as misses`);
  }
  if (result.excludedPeople.length > 0) {
    print(
      `note: ${result.excludedPeople.length} people with zero head size left out ` +
        `(person ${listSome(result.excludedPeople)})`,
    );
  }
  if (flags["per-joint"]) print(formatPerJoint(result));
  if (flags.json) {
    const extra = split
      ? { visible: pckJson(split.visible), occluded: pckJson(split.occluded) }
      : {};
    print(
      JSON.stringify({ ...pckJson(result), convention, gt: gtPath, pred: predPath, ...extra }),
    );
  }
}

if (import.meta.main) await runMain(() => main(Deno.args));
