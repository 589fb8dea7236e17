/**
 * `deno task eval --checkpoint <run or checkpoint dir>`: evaluates a trained model on a dataset
 * split, prints the PCKh (or torso PCK) table and writes the predictions in the MPII `preds`
 * layout for community tools (and `deno task eval-mpii`).
 *
 * @module
 */

import { join } from "@std/path";
import { initBackend, parseBackend } from "../backend/select.ts";
import { combineOverrides, mergeConfig, parseSet } from "../config/config.ts";
import {
  dataChoices,
  type DataConfig,
  DATASET_CHOICES,
  validateDataConfig,
} from "../data/config.ts";
import { openPipeline } from "../data/pipeline.ts";
import { writePredictions } from "../eval/export.ts";
import { KitError } from "../io/errors.ts";
import { checkOutputFile } from "../io/output.ts";
import { formatPckTable, formatPerJoint, pckJson } from "../metrics/table.ts";
import { pckhByVisibility } from "../metrics/pckh.ts";
import { loadTrained } from "../train/load.ts";
import { validate } from "../train/loop.ts";
import { choiceFlag, numberFlag, parseFlags, runMain } from "./args.ts";

const USAGE = `usage: deno task eval --checkpoint <run or checkpoint dir> [--which best|last]
                      [--data ${
  DATASET_CHOICES.join("|")
}] [--root <dataset dir>] [--split val|train]
                      [--flip] [--limit N] [--out <preds.h5|.json|.mat>] [--set data.key=value ...]
                      [--per-joint] [--json] [--backend auto|webgpu|wasm|cpu]

  Evaluates on the checkpoint's own data config unless --data/--root/--set change it; the crop
  size stays the one the model was trained on. Predictions go to --out (default
  <run>/preds_<dataset>_<split>.h5), one row per person in dataset order.`;

async function main(args: string[]): Promise<void> {
  const flags = parseFlags(args, {
    string: ["checkpoint", "which", "data", "root", "split", "limit", "out", "backend"],
    boolean: ["flip", "per-joint", "json"],
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
  const prefixed = Object.fromEntries(Object.entries(dataChoices).map(([k, v]) => [k.slice(5), v]));
  const data = validateDataConfig(
    mergeConfig(cfg.data as unknown as Record<string, never>, dataOverride, {
      choices: prefixed,
    }) as unknown as DataConfig,
  );
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
      return await validate(trained.pm, experiment, pipeline, {
        label: "eval",
        from: trained.heatmaps,
      });
    } finally {
      pipeline.close();
    }
  })();
  await writePredictions(out, ev.preds);
  const label = data.dataset === "lsp" || data.dataset === "flic"
    ? "PCK@0.2"
    : `PCKh@${cfg.eval.alpha}`;
  const rows = [{ label, result: ev.result }];
  if (label.startsWith("PCKh")) {
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
  if (flags.json) {
    console.log(JSON.stringify({ ...pckJson(ev.result), predictions: out, people: ev.ids.length }));
  }
}

if (import.meta.main) await runMain(() => main(Deno.args));
