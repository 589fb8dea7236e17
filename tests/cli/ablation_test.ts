import { assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { join } from "@std/path";
import { initBackend } from "../../lib/backend/select.ts";
import { ablationCommand } from "../../lib/cli/ablation.ts";
import { readAblation } from "../../lib/eval/ablation_report.ts";
import { findSeededSummaries, seededChartPoints } from "../../lib/eval/ablation_seeded.ts";
import { REPORT_COLUMNS } from "../../lib/eval/stress.ts";
import { readStressFile } from "../../lib/eval/stress_run.ts";
import { KitError } from "../../lib/io/errors.ts";
import { ablationPlan, PLAN_FILE, runStatus } from "../../lib/train/ablation_plan.ts";
import { resolveExperiment } from "../../lib/train/config.ts";
import { readRunLog } from "../../lib/train/log.ts";
import { train } from "../../lib/train/loop.ts";
import { errorBarChartSpec, renderSvg } from "../../lib/viz/mod.ts";

// The chain under test (plan, resume, stress splits, report) is the same on every backend, and
// backend numerics are tested elsewhere; on the pure-JS cpu backend this network's training step
// costs about 14 s of CPU (measured: 43 s user for 3 steps, `deno task ablation --backend cpu`,
// 2-core Xeon), so the cpu pass of the suite runs this test on wasm too.
const { backend } = await initBackend("wasm", () => {});

/** A 1x8 hourglass on 32 px crops, two epochs of one step: the smallest run that trains. */
const TINY_BASE = {
  name: "tiny-ablation",
  data: { inputSize: 32, pyramidFactors: [1], workers: 0, synth: { trainSize: 8, valSize: 2 } },
  model: { kind: "hourglass", inputSize: 32, stacks: 1, features: 8, depth: 2 },
  optimizer: { name: "adam", lr: 2e-3 },
  schedule: {
    batchSize: 4,
    stepsPerEpoch: 1,
    lr: { kind: "constant" },
    stages: [{ name: "main", epochs: 2 }],
  },
  eval: { batchSize: 2 },
  output: { logEvery: 1 },
};

const quiet = { log: () => {}, live: false, progressEverySeconds: 3600 };

/** Runs the command with its console lines collected instead of printed. */
async function command(args: string[]): Promise<string> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => lines.push(a.join(" "));
  try {
    await ablationCommand(args);
  } finally {
    console.log = log;
  }
  return lines.join("\n");
}

Deno.test("a seeded ablation trains, resumes a killed run, scores the stress splits and reports paired differences", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const basePath = join(dir, "base.json");
    await Deno.writeTextFile(basePath, JSON.stringify(TINY_BASE));
    const root = join(dir, "abl");
    const trainArgs = [
      "--base",
      basePath,
      "--out",
      root,
      "--seeds",
      "1,2",
      "--rows",
      "hourglass,mss",
      "--backend",
      backend,
    ];

    // A run killed after its first step (the same loop, stopped with a checkpoint).
    const plan = ablationPlan(resolveExperiment(TINY_BASE), {
      root,
      seeds: [1, 2],
      rows: ["hourglass", "mss"],
    });
    assertEquals(plan.map((r) => r.dir.slice(root.length + 1)), [
      "hourglass/seed-1",
      "mss/seed-1",
      "hourglass/seed-2",
      "mss/seed-2",
    ]);
    const first = plan[0]!;
    (await train(first.config, { runDir: first.dir, stopAtStep: 1, ...quiet })).model.graph
      .dispose();
    assertEquals(await runStatus(first), { status: "partial", step: 1 });

    // Without --resume the root holding a run is refused, and nothing is touched.
    await assertRejects(() => command(trainArgs), KitError, "--resume");
    const out = await command([...trainArgs, "--resume"]);
    assertStringIncludes(out, "hourglass/seed-1     partial at step 1 of 2");
    assertStringIncludes(out, "resuming at step 1");
    assertStringIncludes(out, "all 4 runs finished");
    for (const run of plan) assertEquals(await runStatus(run), { status: "finished", step: 2 });
    // The resumed run took exactly steps 1 and 2, once each.
    const steps = (await readRunLog(join(first.dir, "log.jsonl")))
      .filter((r) => r.kind === "step").map((r) => r.step);
    assertEquals(steps, [1, 2]);
    const recorded = JSON.parse(await Deno.readTextFile(join(root, PLAN_FILE)));
    assertEquals([recorded.seeds, recorded.rows], [[1, 2], ["hourglass", "mss"]]);
    assertStringIncludes(recorded.command, "deno task ablation --base");
    // Finished runs are skipped.
    assertStringIncludes(await command([...trainArgs, "--resume"]), "every run is finished");

    await command([
      "--evaluate",
      root,
      "--limit",
      "2",
      "--stability-people",
      "1",
      "--backend",
      backend,
    ]);
    const stress = await readStressFile(first.dir);
    assertEquals(Object.keys(stress!.scores).sort(), REPORT_COLUMNS.map((c) => c.id).sort());
    assertEquals(stress!.splits.map((s) => [s.id, s.people]), [
      ["val", 2],
      ["scale-small", 2],
      ["scale-large", 2],
      ["occluded", 2],
      ["overlap", 2],
    ]);
    assertEquals([stress!.trainStep, stress!.which, stress!.seed], [2, "last", 1]);
    assertStringIncludes(
      await command(["--evaluate", root, "--limit", "2", "--stability-people", "1"]),
      "nothing to evaluate",
    );

    const report = await command(["--report", root, "--record", join(dir, "record", "tiny")]);
    assertStringIncludes(report, "| + MSS vs hourglass |");
    const found = await findSeededSummaries(join(dir, "record"));
    assertEquals(found.map((f) => f.name), ["tiny"]);
    const summary = found[0]!.summary;
    assertEquals(summary.seeds, [1, 2]);
    const val = summary.rows[0]!.cells.val!;
    assertEquals(val.values.map((v) => v.seed), [1, 2]);
    const diff = summary.differences[0]!;
    assertEquals([diff.step, diff.from], ["mss", "hourglass"]);
    assertEquals(diff.cells.val!.pairs.map((p) => p.seed), [1, 2]);
    // The recorded folder holds the evidence, not the checkpoints.
    const kept = await readStressFile(join(dir, "record", "tiny", "mss", "seed-2"));
    assertEquals(kept?.seed, 2);
    await assertRejects(() => Deno.stat(join(dir, "record", "tiny", "mss", "seed-2", "last.json")));
    // What notebook 06 draws, and the old reader leaves the seeded folder alone.
    const svg = await renderSvg(errorBarChartSpec(seededChartPoints(summary).differences, {
      title: "paired differences",
      xTitle: "step",
      yTitle: "difference",
      zeroLine: true,
    }));
    assertStringIncludes(svg, "+ MSS vs hourglass");
    const old = await readAblation(join(dir, "record"));
    assertEquals([old.unreadable.length, old.others.length], [0, 0]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
