import { assertEquals, assertRejects, assertThrows } from "@std/assert";
import { join } from "@std/path";
import { KitError } from "../../lib/io/errors.ts";
import { buildModel } from "../../lib/models/build.ts";
import { useTestBackend } from "../../lib/testing/mod.ts";
import {
  ablationPlan,
  parseRows,
  parseSeeds,
  plannedSteps,
  runStatus,
} from "../../lib/train/ablation_plan.ts";
import { resolveExperiment } from "../../lib/train/config.ts";

await useTestBackend("wasm");

const base = resolveExperiment({
  name: "plan",
  data: { inputSize: 32, pyramidFactors: [1], synth: { trainSize: 10, valSize: 2 } },
  model: { kind: "hourglass", inputSize: 32, stacks: 1, features: 8, depth: 2 },
  schedule: { batchSize: 4, stepsPerEpoch: 5, stages: [{ name: "main", epochs: 3 }] },
});

Deno.test("seed lists and row lists are parsed strictly, rows in the paper's order", () => {
  assertEquals(parseSeeds("1,2,3"), [1, 2, 3]);
  assertEquals(parseSeeds("1-3, 7"), [1, 2, 3, 7]);
  assertThrows(() => parseSeeds("1,1"), KitError, "listed twice");
  assertThrows(() => parseSeeds("3-1"), KitError, "backwards");
  assertThrows(() => parseSeeds("a"), KitError, '"a"');
  assertEquals(parseRows("msr, hourglass"), ["hourglass", "msr"]);
  assertThrows(() => parseRows("hourglass,mssnet"), KitError, '"mssnet"');
});

Deno.test("a plan runs seed by seed, each row's config with that seed, in <root>/<row>/seed-<k>", () => {
  const plan = ablationPlan(base, { root: "runs/abl", seeds: [4, 9] });
  assertEquals(plan.length, 10);
  assertEquals(plan.slice(0, 6).map((r) => [r.step, r.seed]), [
    ["hourglass", 4],
    ["mss", 4],
    ["msr", 4],
    ["structure", 4],
    ["masking", 4],
    ["hourglass", 9],
  ]);
  assertEquals(plan[6]!.dir, join("runs/abl", "mss", "seed-9"));
  assertEquals(plan.every((r) => r.config.seed === r.seed), true);
  // The validation people are the base's, whatever the seed.
  assertEquals(new Set(plan.map((r) => r.config.data.synth.seed)).size, 1);
  assertThrows(() => ablationPlan(base, { root: "r", seeds: [] }), KitError, "at least one seed");
});

Deno.test("two rows with the same seed start from the same stem weights; another seed does not", () => {
  const plan = ablationPlan(base, { root: "r", seeds: [1, 2], rows: ["hourglass", "mss"] });
  const stem = (i: number) => {
    const net = buildModel(plan[i]!.config.model, { seed: plan[i]!.config.seed });
    const w = net.graph.weights.find((v) => v.name.startsWith("stem.conv/kernel"))!;
    const values = Array.from(w.read().dataSync());
    net.graph.dispose();
    return values;
  };
  const [hg1, mss1, hg2] = [stem(0), stem(1), stem(2)];
  assertEquals(mss1, hg1);
  assertEquals(hg2.some((v, i) => v !== hg1[i]), true);
});

Deno.test("the steps of a run count full batches of the training split, up to stepsPerEpoch", async () => {
  // 10 people in batches of 4: 2 full batches an epoch (stepsPerEpoch 5 is more), 3 epochs.
  assertEquals(await plannedSteps(base), 6);
});

Deno.test("a run folder holding another config's run is refused, not trained over", async () => {
  const root = await Deno.makeTempDir();
  try {
    const [run] = ablationPlan(base, { root, seeds: [1], rows: ["hourglass"] });
    assertEquals(await runStatus(run!), { status: "missing", step: 0 });
    await Deno.mkdir(run!.dir, { recursive: true });
    const other = resolveExperiment({ ...run!.config, optimizer: { lr: 1 } });
    await Deno.writeTextFile(join(run!.dir, "config.json"), JSON.stringify(other));
    await assertRejects(() => runStatus(run!), KitError, "another run");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
