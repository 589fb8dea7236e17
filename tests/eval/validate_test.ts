import { assertEquals } from "@std/assert";
import { dataConfig, type DatasetName } from "../../lib/data/config.ts";
import { openPipeline } from "../../lib/data/pipeline.ts";
import { metricLabel, openValidator, splitMetric, validate } from "../../lib/eval/validate.ts";
import { buildModel } from "../../lib/models/build.ts";
import { resolveModelConfig } from "../../lib/models/config.ts";
import { FLIC_TORSO } from "../../lib/skeleton/flic.ts";
import { LSP_TORSO } from "../../lib/skeleton/lsp.ts";
import { useTestBackend } from "../../lib/testing/mod.ts";

const data = dataConfig({ inputSize: 32, workers: 0, synth: { valSize: 4 } });
const on = (dataset: DatasetName) => ({ ...data, dataset });

Deno.test("LSP and FLIC are scored with torso PCK@0.2 whatever eval.alpha says, the rest with PCKh", () => {
  assertEquals(splitMetric(on("lsp"), 0.5), { kind: "pck", alpha: 0.2, torso: LSP_TORSO });
  assertEquals(splitMetric(on("flic"), 0.1), { kind: "pck", alpha: 0.2, torso: FLIC_TORSO });
  for (const dataset of ["synth", "mpii_h5", "mpii_json"] as const) {
    assertEquals(splitMetric(on(dataset), 0.1), { kind: "pckh", alpha: 0.1 });
  }
});

Deno.test("a metric is printed under one name: PCKh@alpha or PCK@alpha", () => {
  assertEquals(metricLabel(splitMetric(on("synth"), 0.5)), "PCKh@0.5");
  // An MPII split validated at alpha 0.1 is still PCKh (the training CLI once printed PCK@0.1).
  assertEquals(metricLabel(splitMetric(on("mpii_json"), 0.1)), "PCKh@0.1");
  assertEquals(metricLabel(splitMetric(on("lsp"), 0.5)), "PCK@0.2");
});

Deno.test("the default validator scores the val split exactly as validate does for deno task eval", async () => {
  await useTestBackend();
  const cfg = { data, eval: { batchSize: 4, flip: false, alpha: 0.5 } };
  const model = { kind: "hourglass", inputSize: 32, stacks: 1, features: 8, depth: 2 };
  const net = buildModel(resolveModelConfig(model), { seed: 1 });
  const validator = await openValidator(cfg, { live: false });
  const pipeline = await openPipeline(data, "val", { mode: "eval", batchSize: 4 });
  try {
    assertEquals(validator.samples, 4);
    assertEquals(validator.metric, { kind: "pckh", alpha: 0.5 });
    const viaValidator = await validator.run(net, "final");
    const direct = await validate(net, cfg, pipeline, { live: false });
    assertEquals(viaValidator.ids, direct.ids);
    assertEquals(viaValidator.preds, direct.preds);
    assertEquals(viaValidator.result.mean, direct.result.mean);
  } finally {
    validator.close();
    pipeline.close();
    net.graph.dispose();
  }
});

/** Every (importing file, imported lib/ folder) pair of the modules under lib/<folder>. */
async function importedFolders(folder: string): Promise<[string, string][]> {
  const root = new URL("../../lib/", import.meta.url);
  const found: [string, string][] = [];
  const walk = async (dir: URL) => {
    for await (const e of Deno.readDir(dir)) {
      const url = new URL(e.name + (e.isDirectory ? "/" : ""), dir);
      if (e.isDirectory) await walk(url);
      if (!e.name.endsWith(".ts")) continue;
      const text = await Deno.readTextFile(url);
      for (const m of text.matchAll(/(?:from|import\()\s*"(\.[^"]+)"/g)) {
        const target = new URL(m[1]!, url).href;
        if (!target.startsWith(root.href)) continue;
        found.push([
          url.href.slice(root.href.length),
          target.slice(root.href.length).split("/")[0]!,
        ]);
      }
    }
  };
  await walk(new URL(`${folder}/`, root));
  return found;
}

/** The pipeline's stages in data-flow order: a stage may import earlier ones, never later ones. */
const STAGES = ["data", "models", "losses", "train", "eval", "viz", "cli"] as const;

/**
 * Known arrows back up the chain, each with its reason. The training loop's default validation
 * (`openValidator`) comes from lib/eval so that `train(cfg, { runDir })` validates as
 * `deno task train` does; the loop itself only calls the hook.
 */
const ALLOWED_BACK_ARROWS = new Set(["train/loop.ts -> eval"]);

Deno.test("no stage imports a later stage of the pipeline (data -> models -> losses -> train -> eval -> viz -> cli)", async () => {
  const back: string[] = [];
  for (const [k, stage] of STAGES.entries()) {
    const later = new Set<string>(STAGES.slice(k + 1));
    for (const [file, folder] of await importedFolders(stage)) {
      const arrow = `${file} -> ${folder}`;
      if (later.has(folder) && !ALLOWED_BACK_ARROWS.has(arrow)) back.push(arrow);
    }
  }
  assertEquals([...new Set(back)], []);
});
