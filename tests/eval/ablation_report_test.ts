import { assertEquals, assertRejects } from "@std/assert";
import { join } from "@std/path";
import { KitError } from "../../lib/io/errors.ts";
import {
  ablationDataset,
  ablationGains,
  ablationTable,
  readAblation,
  readRunSummary,
  type RunSummary,
} from "../../lib/eval/ablation_report.ts";
import { ABLATION_STEPS, ablationExperiment } from "../../lib/train/ablation.ts";
import { type ExperimentConfig, resolveExperiment } from "../../lib/train/config.ts";

const base: ExperimentConfig = resolveExperiment({
  name: "abl",
  data: { inputSize: 64, pyramidFactors: [1], synth: { trainSize: 40, valSize: 8 } },
  model: { kind: "hourglass", inputSize: 64, stacks: 1, features: 8, depth: 4 },
  schedule: {
    batchSize: 4,
    stepsPerEpoch: 2,
    lr: { kind: "constant" },
    stages: [{ name: "main", epochs: 2 }, { name: "tune", epochs: 2 }],
  },
});

/** A run directory as `deno task train` leaves it, with validations of the given Means. */
async function writeRun(
  dir: string,
  cfg: ExperimentConfig,
  means: number[],
  extra: Record<string, string> = {},
): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(join(dir, "config.json"), JSON.stringify(cfg, null, 2));
  const lines = means.flatMap((mean, i) => [
    { kind: "step", step: 10 * (i + 1), epoch: i + 1, stage: "main", loss: 1, parts: {}, lr: 1e-3 },
    {
      kind: "val",
      step: 10 * (i + 1),
      epoch: i + 1,
      stage: "main",
      pckh: {
        Head: mean + 1,
        Shoulder: mean,
        Elbow: mean,
        Wrist: mean,
        Hip: mean,
        Knee: mean,
        Ankle: mean - 1,
        Mean: mean,
        auc: mean / 2,
      },
    },
  ]);
  await Deno.writeTextFile(join(dir, "log.jsonl"), lines.map((l) => JSON.stringify(l)).join("\n"));
  for (const [name, text] of Object.entries(extra)) {
    await Deno.writeTextFile(join(dir, name), text);
  }
}

Deno.test("a run summary takes the last validation, or the evaluation JSON when there is one", async () => {
  const root = await Deno.makeTempDir();
  await writeRun(join(root, "a"), ablationExperiment(base, "mss"), [10, 20]);
  const a = await readRunSummary(join(root, "a"));
  assertEquals(a.step, "mss");
  assertEquals(a.steps, 20);
  assertEquals(a.validations.map((v) => v.mean), [10, 20]);
  assertEquals(a.final?.mean, 20);
  assertEquals(a.final?.parts.Head, 21);
  assertEquals(a.final?.auc, 10);
  assertEquals(a.source, "last validation (step 20)");
  // `deno task eval --json > eval.json` keeps the table lines before the JSON line.
  const stdout = "eval: ...\n   Head ...\n" + JSON.stringify({ Head: 50, Mean: 42.5, auc: 30 });
  await writeRun(join(root, "b"), ablationExperiment(base, "mss"), [10], {
    "final_eval.json": stdout,
  });
  const b = await readRunSummary(join(root, "b"));
  assertEquals(b.final?.mean, 42.5);
  assertEquals(b.final?.parts.Wrist, null);
  assertEquals(b.source, "final_eval.json");
  await Deno.remove(root, { recursive: true });
});

Deno.test("a run without a readable config is an error naming the file", async () => {
  const root = await Deno.makeTempDir();
  await Deno.writeTextFile(join(root, "config.json"), JSON.stringify({ model: { kind: "x" } }));
  await assertRejects(() => readRunSummary(root), KitError, "config.json");
  await Deno.remove(root, { recursive: true });
});

Deno.test("an ablation folder is sorted into the steps; missing steps say they are not recorded", async () => {
  const root = await Deno.makeTempDir();
  await writeRun(join(root, "z-baseline"), ablationExperiment(base, "hourglass"), [30]);
  await writeRun(join(root, "b-structure"), ablationExperiment(base, "structure"), [33.5]);
  await writeRun(join(root, "mssh"), resolveExperiment({ model: { kind: "mssh" } }), [1]);
  await Deno.mkdir(join(root, "broken"));
  const summary = await readAblation(root);
  assertEquals(summary.exists, true);
  assertEquals(summary.rows.map((r) => r.run?.final?.mean ?? null), [30, null, null, 33.5, null]);
  assertEquals(summary.others.length, 1);
  assertEquals(summary.unreadable.map((u) => u.dir), [join(root, "broken")]);
  assertEquals(ablationDataset(summary), "SynthPose");
  const { header, rows } = ablationTable(summary);
  assertEquals(header.slice(0, 3), ["step", "Ke et al. MPII Mean", "SynthPose Mean"]);
  assertEquals(rows[0]!.slice(1, 3), ["87.1", "30.00"]);
  assertEquals(rows[1]!.slice(1, 3), ["87.6 (+0.5)", "results not yet recorded"]);
  assertEquals(rows[3]!.slice(1, 3), ["88.3 (+0.2)", "33.50 (+3.50)"]);
  assertEquals(rows[3]!.at(-1), "b-structure: 10 steps, last validation (step 10)");
  const gains = ablationGains(summary);
  assertEquals(
    gains.filter((g) => g.group.startsWith("posekit")).map((g) => [g.category, g.value]),
    [
      ["hourglass", 0],
      ["+ Eq. 2", 3.5],
    ],
  );
  assertEquals(gains.filter((g) => g.group.startsWith("Ke")).length, 5);
  await Deno.remove(root, { recursive: true });
});

Deno.test("a missing ablation folder gives five unrecorded steps", async () => {
  const summary = await readAblation("/nonexistent/ablation");
  assertEquals(summary.exists, false);
  assertEquals(summary.rows.length, 5);
  const { rows } = ablationTable(summary);
  assertEquals(rows.every((r) => r[2] === "results not yet recorded"), true);
  assertEquals(ablationGains(summary).length, 5);
});

Deno.test("the table names the runs' dataset", () => {
  const run = (dataset: string) => ({
    step: ABLATION_STEPS[0],
    run: { dir: "r", final: null, config: { data: { dataset } } } as unknown as RunSummary,
    more: [],
  });
  assertEquals(ablationDataset({ rows: [run("mpii_h5")] }), "MPII");
  assertEquals(ablationDataset({ rows: [run("mpii_h5"), run("synth")] }), "mixed datasets");
  assertEquals(ablationTable({ rows: [run("lsp")] }).header[2], "LSP Mean");
});
