/**
 * `deno task eval --checkpoint <run or checkpoint dir>`: evaluates a trained model on a dataset
 * split, prints the PCKh (or torso PCK) table and writes the predictions in the MPII `preds`
 * layout for community tools (and `deno task eval-mpii`).
 *
 * @module
 */

import { join } from "@std/path";
import { initBackend, parseBackend } from "../backend/select.ts";
import { combineOverrides, parseSet } from "../config/config.ts";
import { type DataConfig, dataConfig, DATASET_CHOICES } from "../data/config.ts";
import { openPipeline } from "../data/pipeline.ts";
import { openDataset } from "../data/open.ts";
import { cropConvention } from "../data/prepare.ts";
import { conditionalEvaluation } from "../eval/conditional_eval.ts";
import { tidyPredict } from "../eval/dataset.ts";
import { predictHeatmaps } from "../models/build.ts";
import { Progress } from "../progress/progress.ts";
import { writePredictions } from "../eval/export.ts";
import { metricLabel, splitMetric, validate } from "../eval/validate.ts";
import { KitError } from "../io/errors.ts";
import { checkOutputFile } from "../io/output.ts";
import { formatPckTable, formatPerJoint, pckJson } from "../metrics/table.ts";
import { pckhByVisibility } from "../metrics/pckh.ts";
import { loadTrained } from "../train/load.ts";
import { choiceFlag, type Flags, numberFlag, parseFlags, runMain } from "./args.ts";

const USAGE = `usage: deno task eval --checkpoint <run or checkpoint dir> [--which best|last]
                      [--data ${
  DATASET_CHOICES.join("|")
}] [--root <dataset dir>] [--split val|train]
                      [--flip] [--limit N] [--out <preds.h5|.json|.mat>] [--set data.key=value ...]
                      [--per-joint] [--json] [--backend auto|webgpu|wasm|cpu]
                      [--conditional [--fit-fraction 0.5]]

  Evaluates on the checkpoint's own data config unless --data/--root/--set change it; the crop
  size stays the one the model was trained on. Predictions go to --out (default
  <run>/preds_<dataset>_<split>.h5), one row per person in dataset order.

  --conditional adds Ke et al.'s conditional multi-trial testing (§IV-A.2): τc (per joint) and
  τs are fitted on the first --fit-fraction of the people, the rest are scored with and without
  it, and the fraction of them that triggered a retrial is reported (lib/eval/conditional_eval.ts).`;

async function main(args: string[]): Promise<void> {
  const flags = parseFlags(args, {
    string: [
      "checkpoint",
      "which",
      "data",
      "root",
      "split",
      "limit",
      "out",
      "backend",
      "fit-fraction",
    ],
    boolean: ["flip", "per-joint", "json", "conditional"],
    collect: ["set"],
  }, USAGE);
  const checkpoint = flags.checkpoint as string | undefined;
  if (!checkpoint) throw new KitError(`--checkpoint is required\n${USAGE}`);
  const which = choiceFlag(flags, "which", ["best", "last"] as const, "best");
  const split = choiceFlag(flags, "split", ["val", "train"] as const, "val");
  const limit = numberFlag(flags, "limit", 0, { min: 0, integer: true });
  const backend = parseBackend((flags.backend as string | undefined) ?? "auto");
  await initBackend(backend);

  const trained = await loadTrained(checkpoint, which);
  const cfg = trained.config;
  const dataOverride = combineOverrides(
    flags.data ? { dataset: flags.data } : {},
    flags.root ? { root: flags.root } : {},
    ...((flags.set as string[] | undefined) ?? []).map((s) => {
      const o = parseSet(s) as { data?: unknown };
      if (Object.keys(o).some((k) => k !== "data")) {
        throw new KitError(`--set in eval only changes data.* keys; got "${s}"`);
      }
      return o.data;
    }),
    limit > 0 ? (split === "val" ? { valLimit: limit } : { trainLimit: limit }) : {},
  );
  // The checkpoint's data section with the flags on top, checked like any data config.
  const data = dataConfig(combineOverrides(cfg.data, dataOverride));
  if (data.inputSize !== cfg.data.inputSize) {
    throw new KitError(
      `data.inputSize must stay ${cfg.data.inputSize}, the size the model was trained on`,
    );
  }
  // It decides how the heatmaps decode, so it belongs to the trained model, not to the data read.
  if (data.occludedTarget !== cfg.data.occludedTarget) {
    throw new KitError(
      `data.occludedTarget must stay "${cfg.data.occludedTarget}", the targets the model was ` +
        `trained on; got "${data.occludedTarget}"`,
    );
  }
  const experiment = {
    ...cfg,
    data,
    eval: { ...cfg.eval, flip: Boolean(flags.flip) || cfg.eval.flip },
  };
  const out = (flags.out as string | undefined) ??
    join(checkpoint, `preds_${data.dataset}_${split}.h5`);
  await checkOutputFile(out); // a bad --out fails now, not after the whole evaluation
  const pipeline = await openPipeline(data, split, { mode: "eval", batchSize: cfg.eval.batchSize });
  console.log(
    `eval: ${trained.dir} (step ${trained.state.step}) on ${data.dataset} ${split}, ` +
      `${pipeline.batchesPerEpoch * cfg.eval.batchSize} crops${
        experiment.eval.flip ? ", flip test" : ""
      }`,
  );
  const ev = await (async () => {
    try {
      return await validate(trained.net, experiment, pipeline, {
        label: "eval",
        from: trained.heatmaps,
      });
    } finally {
      pipeline.close();
    }
  })();
  await writePredictions(out, ev.preds);
  const metric = splitMetric(data, cfg.eval.alpha);
  const rows = [{ label: metricLabel(metric), result: ev.result }];
  if (metric.kind === "pckh") {
    const split = pckhByVisibility(ev.gt, ev.preds, ev.norms, {
      alpha: cfg.eval.alpha,
      zeroHeadSize: "exclude",
    });
    rows.push({ label: "  visible", result: split.visible }, {
      label: "  occluded",
      result: split.occluded,
    });
  }
  console.log(formatPckTable(rows));
  if (flags["per-joint"]) console.log(formatPerJoint(ev.result));
  console.log(`${ev.ids.length} people in ${ev.seconds.toFixed(1)} s; predictions: ${out}`);
  const conditional = flags.conditional
    ? await runConditional(trained, data, split, experiment.eval.flip, flags)
    : undefined;
  if (flags.json) {
    console.log(JSON.stringify({
      ...pckJson(ev.result),
      predictions: out,
      people: ev.ids.length,
      ...(conditional ? { conditional } : {}),
    }));
  }
}

/** `--conditional`: fit τc and τs on part of the split, score the rest with and without. */
async function runConditional(
  trained: Awaited<ReturnType<typeof loadTrained>>,
  data: DataConfig,
  split: "val" | "train",
  flip: boolean,
  flags: Flags,
): Promise<Record<string, unknown>> {
  if (data.dataset === "lsp" || data.dataset === "flic") {
    throw new KitError(
      `--conditional scores PCKh (MPII, SynthPose); ${data.dataset} uses torso PCK`,
    );
  }
  const fitFraction = numberFlag(flags, "fit-fraction", 0.5, { min: 0 });
  if (!(fitFraction > 0 && fitFraction < 1)) {
    throw new KitError(`--fit-fraction must be between 0 and 1; got ${fitFraction}`);
  }
  const dataset = await openDataset(data, split);
  const progress = new Progress({ total: dataset.length, unit: "people", label: "conditional" });
  const cfg = trained.config;
  const report = await conditionalEvaluation(
    tidyPredict((x) => predictHeatmaps(trained.net, x, trained.heatmaps)),
    dataset,
    {
      size: data.inputSize,
      stride: data.outputStride,
      crop: cropConvention(data, dataset.crop),
      flip,
      signed: data.occludedTarget === "negative",
      batchSize: cfg.eval.batchSize,
      alpha: cfg.eval.alpha,
      fitFraction,
      onPeople: (n) => progress.tick(n),
    },
  );
  progress.done();
  console.log(
    `conditional testing: τc and τs fitted on the first ${report.fitPeople} people, scored on ` +
      `the other ${report.scoredPeople}`,
  );
  console.log(formatPckTable([
    { label: `PCKh@${cfg.eval.alpha} single trial`, result: report.without },
    { label: `PCKh@${cfg.eval.alpha} conditional`, result: report.with },
  ]));
  console.log(
    `retrials: ${report.retried} of ${report.scoredPeople} people ` +
      `(${(100 * report.retrialFraction).toFixed(1)}%); a retrial when ${
        report.minLowJoints > report.tauC.length
          ? "never (no rule beat single-trial testing on the fit part)"
          : `${report.minLowJoints}+ joints are below τc`
      }; τs ${report.tauS.toFixed(4)}; τc ` +
      report.tauC.map((t) => t.toFixed(3)).join(" "),
  );
  return {
    fitPeople: report.fitPeople,
    scoredPeople: report.scoredPeople,
    without: pckJson(report.without),
    with: pckJson(report.with),
    retried: report.retried,
    retrialFraction: report.retrialFraction,
    tauC: report.tauC,
    tauS: report.tauS,
    minLowJoints: report.minLowJoints,
  };
}

if (import.meta.main) await runMain(() => main(Deno.args));
