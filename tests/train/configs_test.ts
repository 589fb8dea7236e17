import { assert, assertEquals } from "@std/assert";
import { join } from "@std/path";
import { loadExperiment } from "../../lib/train/config.ts";
import { DEFAULT_EXPERIMENT } from "../../lib/cli/train.ts";

const root = new URL("../../", import.meta.url).pathname;

async function experimentFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const path = join(dir, e.name);
    if (e.isDirectory) out.push(...await experimentFiles(path));
    else if (e.name.endsWith(".json")) out.push(path);
  }
  return out.sort();
}

Deno.test("every experiment file under configs/ resolves against the kit's config", async () => {
  const files = await experimentFiles(join(root, "configs"));
  assert(files.length >= 5, `only ${files.length} experiment files`);
  for (const file of files) {
    const cfg = await loadExperiment(file);
    assert(cfg.name.length > 0, file);
  }
});

Deno.test("the default experiment is the small SynthPose hourglass", async () => {
  const cfg = await loadExperiment(join(root, DEFAULT_EXPERIMENT));
  assertEquals([cfg.data.dataset, cfg.model.kind], ["synth", "hourglass"]);
});

Deno.test("the ablation variants differ only in model, loss and masking", async () => {
  const files = await experimentFiles(join(root, "configs", "ablation"));
  const cfgs = await Promise.all(files.map((f) => loadExperiment(f)));
  const shared = (c: (typeof cfgs)[number]) =>
    JSON.stringify({
      ...c.data,
      pyramidFactors: null,
      masking: null,
      seed: c.seed,
      opt: c.optimizer,
      bs: c.schedule.batchSize,
    });
  assertEquals(new Set(cfgs.map(shared)).size, 1);
  const steps = cfgs.map((c) =>
    c.schedule.stages.reduce((n, s) => n + s.epochs, 0) * c.schedule.stepsPerEpoch
  );
  assertEquals(new Set(steps).size, 1, `training budgets differ: ${steps}`);
});
