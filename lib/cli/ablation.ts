/**
 * `deno task ablation`: a seeded ablation of Ke et al.'s components. Three modes:
 *
 * - train (default): every run of base x rows x seeds in `<out>/<row>/seed-<k>`, one after
 *   another through the same training loop as `deno task train`, with progress and an ETA over
 *   the whole plan; `--resume` continues a stopped plan (finished runs are skipped, a stopped
 *   run continues from its last checkpoint);
 * - `--evaluate <root>`: scores every finished run on its validation people, the stress splits
 *   and the scale-stability sweep into `<run>/stress.json`;
 * - `--report <root>`: mean +- sd per row and each step's paired difference with its 95%
 *   interval, as markdown tables and `<root>/ablation_summary.json`.
 *
 * Kept whole (~390 lines): the command's three modes (train, evaluate, report) share its flags,
 * plan and usage text.
 *
 * @module
 */

import { join, relative } from "@std/path";
import { KitError } from "../io/errors.ts";
import { type Flags, numberFlag, parseFlags, runMain, userPath } from "./args.ts";
import { listenForInterrupt } from "./train.ts";

const USAGE = `usage: deno task ablation --base <experiment.json> --out <root> [--seeds 1,2,3]
                          [--rows hourglass,mss,msr,structure,masking] [--resume]
                          [--set key.path=value ...] [--backend auto|webgpu|wasm|cpu]
       deno task ablation --evaluate <root> [--which last|best] [--limit N]
                          [--stability-people N] [--again] [--backend ...]
       deno task ablation --report <root> [--json <summary.json>] [--record <dir>]

  train     every row (default all five) x seed (default 1,2,3) of the base experiment in
            <root>/<row>/seed-<k>, seed by seed; --resume continues a stopped plan (finished
            runs are skipped, a stopped run continues from its last checkpoint). Without
            --resume a root that already holds runs is refused.
  --evaluate  scores every finished run's checkpoint (--which, default last: "best" is chosen on
            the validation people) on the validation people, the stress splits (smaller and
            larger person, occluded joints, overlapping people; lib/eval/stress.ts) and the
            scale-stability sweep (--stability-people, default 100; 0 = none) into
            <run>/stress.json. --limit N scores the first N people of each split. A run whose
            stress.json was made with the same settings is skipped unless --again.
  --report  per row mean ± sd over seeds, and each step's paired difference (row k minus row
            k-1, paired by seed) with its 95% t-interval; writes the JSON summary (default
            <root>/ablation_summary.json). --record <dir> also copies every run's config.json,
            log.jsonl and stress.json, the plan and the summary there (e.g. data/ablation/<name>).
  Ctrl-C    stops after the current step with a checkpoint; --resume continues`;

/**
 * Runs `deno task ablation` with `args` (see the usage text): training, `--evaluate` or
 * `--report`. Bad input is a KitError naming the flag or file.
 *
 * @example
 * ```ts
 * await ablationCommand(["--base", "configs/x.json", "--out", "runs/abl", "--seeds", "1,2,3"]);
 * await ablationCommand(["--evaluate", "runs/abl"]);
 * await ablationCommand(["--report", "runs/abl"]);
 * ```
 */
export async function ablationCommand(args: string[]): Promise<void> {
  const flags = parseFlags(args, {
    string: [
      "base",
      "out",
      "seeds",
      "rows",
      "backend",
      "evaluate",
      "report",
      "which",
      "limit",
      "stability-people",
      "json",
      "record",
    ],
    boolean: ["resume", "again"],
    collect: ["set"],
  }, USAGE);
  if (flags._.length > 0) throw new KitError(`unexpected argument "${flags._[0]}"\n${USAGE}`);
  const modes = ["evaluate", "report"].filter((m) => flags[m] !== undefined);
  if (modes.length > 1) throw new KitError(`--evaluate and --report are separate runs\n${USAGE}`);
  if (flags.evaluate !== undefined) return await evaluateMode(flags);
  if (flags.report !== undefined) return await reportMode(flags);
  await trainMode(args, flags);
}

/** The commit the code runs at, and whether the working tree has changes (null outside git). */
async function gitState(): Promise<{ commit: string; dirty: boolean } | null> {
  const run = async (...a: string[]) => {
    const out = await new Deno.Command("git", { args: a, stdout: "piped", stderr: "null" })
      .output();
    if (!out.success) throw new Error("git failed");
    return new TextDecoder().decode(out.stdout).trim();
  };
  try {
    return {
      commit: await run("rev-parse", "HEAD"),
      dirty: (await run("status", "--porcelain")) !== "",
    };
  } catch {
    return null;
  }
}

async function trainMode(args: string[], flags: Flags): Promise<void> {
  const [
    { initBackend, parseBackend },
    { loadExperiment },
    { ablationPlan, parseRows, parseSeeds, PLAN_FILE, plannedSteps, runStatus },
    { train },
    { Progress, formatDuration },
    { writeFileAtomic },
  ] = await Promise.all([
    import("../backend/select.ts"),
    import("../train/config.ts"),
    import("../train/ablation_plan.ts"),
    import("../train/loop.ts"),
    import("../progress/progress.ts"),
    import("../io/atomic.ts"),
  ]);
  if (flags.base === undefined) {
    throw new KitError(`--base <experiment.json> is required\n${USAGE}`);
  }
  if (flags.out === undefined) throw new KitError(`--out <root> is required\n${USAGE}`);
  const sets = (flags.set as string[] | undefined) ?? [];
  const base = await loadExperiment(userPath(flags.base as string), sets);
  const root = userPath(flags.out as string);
  const seeds = parseSeeds((flags.seeds as string | undefined) ?? "1,2,3");
  const rows = flags.rows === undefined ? undefined : parseRows(flags.rows as string);
  const plan = ablationPlan(base, { root, seeds, rows });
  if (seeds.length < 3) {
    console.log(
      `note: ${seeds.length} seed(s); a paired 95% interval needs 2 and is very wide below 3 ` +
        `(t = 12.7 with 2 seeds, 4.3 with 3)`,
    );
  }
  const statuses: Awaited<ReturnType<typeof runStatus>>[] = [];
  for (const run of plan) statuses.push(await runStatus(run));
  const started = statuses.filter((s) => s.status !== "missing").length;
  const planPath = join(root, PLAN_FILE);
  const hasPlan = await Deno.stat(planPath).then(() => true, () => false);
  if (!flags.resume && (started > 0 || hasPlan)) {
    throw new KitError(
      `${root} already holds ${started} run(s) of an ablation plan; continue it with --resume ` +
        `(finished runs are skipped), or choose another --out`,
    );
  }
  // Rows and seeds share the data and batch size: the training split is opened once per kind.
  const stepsOf = new Map<string, number>();
  const steps: number[] = [];
  for (const run of plan) {
    const key = JSON.stringify([run.config.data, run.config.schedule]);
    if (!stepsOf.has(key)) stepsOf.set(key, await plannedSteps(run.config));
    steps.push(stepsOf.get(key)!);
  }
  const remaining = plan.reduce(
    (n, _, i) => n + (statuses[i]!.status === "finished" ? 0 : steps[i]! - statuses[i]!.step),
    0,
  );
  const previous = hasPlan ? JSON.parse(await Deno.readTextFile(planPath)) : {};
  await writeFileAtomic(
    planPath,
    JSON.stringify(
      {
        version: 1,
        base,
        seeds,
        rows: [...new Set(plan.map((r) => r.step))],
        command: `deno task ablation ${args.join(" ")}`,
        git: await gitState(),
        created: previous.created ?? new Date().toISOString(),
        updated: new Date().toISOString(),
      },
      null,
      2,
    ) + "\n",
  );
  console.log(`ablation plan ${root}: ${plan.length} runs (${seeds.length} seeds)`);
  plan.forEach((run, i) => {
    const s = statuses[i]!;
    console.log(
      `  ${relative(root, run.dir).padEnd(20)} ${s.status}` +
        (s.status === "partial" ? ` at step ${s.step} of ${steps[i]}` : ""),
    );
  });
  const todo = plan.map((run, i) => ({ run, i })).filter(({ i }) =>
    statuses[i]!.status !== "finished"
  );
  if (todo.length === 0) {
    console.log(`every run is finished; next: deno task ablation --evaluate ${root}`);
    return;
  }
  const backend = flags.backend ? parseBackend(flags.backend as string) : base.backend;
  await initBackend(backend);

  const interrupt = listenForInterrupt();
  const controller = interrupt.controller;
  const progress = new Progress({
    total: remaining,
    unit: "steps",
    label: "ablation",
    live: false,
    everyMs: 15_000,
  });
  const t0 = performance.now();
  try {
    for (const [k, { run, i }] of todo.entries()) {
      const name = relative(root, run.dir);
      const resume = statuses[i]!.status === "partial";
      console.log(
        `\n[${k + 1}/${todo.length}] ${name}: ${
          resume ? `resuming at step ${statuses[i]!.step}` : "training"
        } ` +
          `(${steps[i]} steps)`,
      );
      const result = await train(run.config, {
        runDir: run.dir,
        resume,
        signal: controller.signal,
        live: false,
        progressEverySeconds: 3600,
        log: (line) => console.log(`  ${line}`),
        onStep: () => progress.tick(1, { run: name }),
      });
      result.model.graph.dispose();
      if (result.interrupted) {
        progress.done();
        console.log(
          `stopped at ${name} step ${result.state.step}; continue the plan with: ` +
            `deno task ablation --base ${flags.base} --out ${flags.out} --seeds ${
              seeds.join(",")
            }` +
            `${flags.rows ? ` --rows ${flags.rows}` : ""}${
              sets.map((s) => ` --set ${s}`).join("")
            } --resume`,
        );
        Deno.exitCode = 130;
        return;
      }
      const score = result.lastEvaluation?.result.mean;
      console.log(`  ${name} finished: validation Mean ${score?.toFixed(2) ?? "-"}`);
    }
  } finally {
    interrupt[Symbol.dispose]();
  }
  progress.done();
  console.log(
    `\nall ${plan.length} runs finished (${formatDuration((performance.now() - t0) / 1000)} ` +
      `this call); next: deno task ablation --evaluate ${root}`,
  );
}

async function evaluateMode(flags: Flags): Promise<void> {
  const [
    { initBackend, parseBackend },
    { resolveExperiment },
    { runStatus },
    { readSeededRuns },
    { evaluateStress, readStressFile, STRESS_VERSION, writeStressFile, DEFAULT_STABILITY_PEOPLE },
    { Progress },
  ] = await Promise.all([
    import("../backend/select.ts"),
    import("../train/config.ts"),
    import("../train/ablation_plan.ts"),
    import("../eval/ablation_seeded.ts"),
    import("../eval/stress_run.ts"),
    import("../progress/progress.ts"),
  ]);
  const root = userPath(flags.evaluate as string);
  const which = flags.which === undefined ? "last" : String(flags.which);
  if (which !== "last" && which !== "best") {
    throw new KitError(`--which must be last or best; got "${which}"`);
  }
  const limit = numberFlag(flags, "limit", 0, { min: 0, integer: true });
  const stabilityPeople = numberFlag(flags, "stability-people", DEFAULT_STABILITY_PEOPLE, {
    min: 0,
    integer: true,
  });
  const runs = await readSeededRuns(root);
  if (runs.length === 0) {
    throw new KitError(
      `${root}: no <row>/seed-<k> run folders (train them with deno task ablation)`,
    );
  }
  const todo: string[] = [];
  for (const r of runs) {
    const dir = join(root, r.dir);
    let config;
    try {
      config = resolveExperiment(JSON.parse(await Deno.readTextFile(join(dir, "config.json"))));
    } catch (e) {
      console.log(`  ${r.dir}: skipped, no readable config.json (${(e as Error).message})`);
      continue;
    }
    const status = await runStatus({ step: r.step, seed: r.seed, dir, config });
    if (status.status !== "finished") {
      console.log(`  ${r.dir}: skipped, ${status.status} (step ${status.step})`);
      continue;
    }
    const old = await readStressFile(dir);
    const same = old && old.version === STRESS_VERSION && old.which === which &&
      old.trainStep === status.step && old.settings?.limit === limit &&
      old.settings?.stabilityPeople === stabilityPeople;
    if (same && !flags.again) {
      console.log(`  ${r.dir}: already scored (stress.json; --again scores it anew)`);
      continue;
    }
    todo.push(r.dir);
  }
  if (todo.length === 0) {
    console.log(`nothing to evaluate; next: deno task ablation --report ${root}`);
    return;
  }
  await initBackend(parseBackend((flags.backend as string | undefined) ?? "auto"));
  const progress = new Progress({
    total: todo.length,
    unit: "runs",
    label: "evaluate",
    live: false,
    everyMs: 0,
  });
  for (const name of todo) {
    console.log(`\n${name}:`);
    const dir = join(root, name);
    const file = await evaluateStress(dir, {
      which,
      limit,
      stabilityPeople,
      live: false,
      log: (line) => console.log(`  ${line}`),
    });
    const path = await writeStressFile(dir, file);
    console.log(`  wrote ${path} (${file.seconds.toFixed(0)} s)`);
    progress.tick(1);
  }
  console.log(`next: deno task ablation --report ${root}`);
}

async function reportMode(flags: Flags): Promise<void> {
  const [
    { readSeededRuns, seededTables, summariseSeeded, SUMMARY_FILE },
    { markdownTable },
    { writeFileAtomic },
    { recordPlan },
  ] = await Promise.all([
    import("../eval/ablation_seeded.ts"),
    import("../viz/charts.ts"),
    import("../io/atomic.ts"),
    import("./ablation_record.ts"),
  ]);
  const root = userPath(flags.report as string);
  const runs = await readSeededRuns(root);
  if (runs.length === 0) {
    throw new KitError(
      `${root}: no <row>/seed-<k> run folders (train them with deno task ablation)`,
    );
  }
  const summary = summariseSeeded(runs);
  const { means, differences } = seededTables(summary);
  console.log(`## Seeded ablation ${root}: seeds ${summary.seeds.join(", ") || "none scored"}\n`);
  console.log("Mean ± sd over seeds:\n");
  console.log(markdownTable(means.header, means.rows));
  console.log(
    "\nEach step minus the row before it, paired by seed: mean [95% t-interval]; bold where " +
      "the interval excludes zero:\n",
  );
  console.log(markdownTable(differences.header, differences.rows));
  console.log("\nColumns:");
  for (const c of summary.columns) console.log(`- ${c.label}: ${c.unit}; ${c.claim}`);
  if (summary.unscored.length > 0) {
    console.log(`\nnot scored yet (deno task ablation --evaluate): ${summary.unscored.join(", ")}`);
  }
  const out = flags.json === undefined ? join(root, SUMMARY_FILE) : userPath(flags.json as string);
  await writeFileAtomic(out, JSON.stringify(summary, null, 2) + "\n");
  console.log(`\nsummary: ${out}`);
  if (flags.record !== undefined) {
    const dest = userPath(flags.record as string);
    const n = await recordPlan(root, dest, runs.map((r) => r.dir), summary);
    console.log(`recorded ${n} files in ${dest}`);
  }
}

if (import.meta.main) await runMain(() => ablationCommand(Deno.args));
