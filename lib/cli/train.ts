/**
 * `deno task train`: trains an experiment (default: configs/synth_hourglass_tiny.json, a small
 * stacked hourglass on SynthPose) and prints the validation table.
 *
 * @module
 */

// Only light modules load before main installs its Ctrl-C handler; tfjs and the rest are
// imported inside main, so an early Ctrl-C is handled (not the default kill) within a moment.
import { join } from "@std/path";
import { KitError } from "../io/errors.ts";
import { parseFlags, runMain, userPath } from "./args.ts";

/** The experiment `deno task train` runs when given none. */
export const DEFAULT_EXPERIMENT = "configs/synth_hourglass_tiny.json";

const USAGE = `usage: deno task train [--config <experiment.json>] [--set key.path=value ...]
                       [--out <run dir>] [--overwrite] [--resume <run dir>]
                       [--backend auto|webgpu|wasm|cpu]

  --config   experiment file under configs/ (default ${DEFAULT_EXPERIMENT})
  --set      override one config key, e.g. --set optimizer.lr=5e-4 (repeatable)
  --out      run directory (default runs/<name>; when that holds an earlier run, the next free
             runs/<name>-2, -3, ...)
  --overwrite  start again in a --out directory that holds an earlier run (deletes its log
             and checkpoints)
  --resume   continue a run from its last checkpoint, with the run's own config.json
  --backend  tfjs backend (default: the config's, normally auto)
  Ctrl-C     stops after the current step and writes a checkpoint first`;

/** Whether `dir` holds a run: a checkpoint pointer or a log. */
async function holdsRun(dir: string): Promise<boolean> {
  for (const file of ["last.json", "log.jsonl"]) {
    const found = await Deno.stat(join(dir, file)).then(() => true, () => false);
    if (found) return true;
  }
  return false;
}

/**
 * The directory a new (not resumed) run trains in, so that no earlier run is lost: starting
 * afresh deletes a directory's log and checkpoints. A directory the user named that holds a run
 * is refused unless `overwrite`; the default `runs/<name>` moves on to the next free
 * `runs/<name>-2`, `-3`, ... and says so.
 *
 * @example
 * ```ts
 * await chooseRunDir({ requested: "runs/hg", explicit: false, overwrite: false });
 * // "runs/hg", or "runs/hg-2" when runs/hg holds a run
 * ```
 */
export async function chooseRunDir(
  opts: { requested: string; explicit: boolean; overwrite: boolean },
): Promise<string> {
  const { requested, explicit, overwrite } = opts;
  if (overwrite || !(await holdsRun(requested))) return requested;
  if (explicit) {
    throw new KitError(
      `${requested} holds an earlier run, which starting again would delete: continue it with ` +
        `--resume ${requested}, choose another --out, or pass --overwrite`,
    );
  }
  let i = 2;
  while (await holdsRun(`${requested}-${i}`)) i++;
  console.log(`${requested} holds an earlier run (kept); this run goes to ${requested}-${i}`);
  return `${requested}-${i}`;
}

/**
 * Signals closer together than this are one Ctrl-C: under `deno task` the terminal's SIGINT
 * reaches the training process and `deno task` forwards it again, so one key press arrives
 * twice.
 */
export const DUPLICATE_SIGINT_MS = 1000;

/**
 * The SIGINT handler: the first Ctrl-C aborts `controller` (stop after this step, with a
 * checkpoint), a second one at least DUPLICATE_SIGINT_MS later quits at once; a repeat sooner
 * than that is the same key press delivered twice and is ignored.
 *
 * @example
 * ```ts
 * const onInterrupt = interruptHandler(controller, { now: () => performance.now(), quit: () => Deno.exit(130), notice: () => {} });
 * Deno.addSignalListener("SIGINT", onInterrupt);
 * ```
 */
export function interruptHandler(
  controller: AbortController,
  io: { now: () => number; quit: () => void; notice: () => void },
): () => void {
  let first: number | undefined;
  return () => {
    const t = io.now();
    if (first === undefined) {
      first = t;
      io.notice();
      controller.abort();
    } else if (t - first >= DUPLICATE_SIGINT_MS) {
      io.quit();
    }
  };
}

/**
 * Ctrl-C for a training command: the first aborts the returned controller (stop after this step,
 * with a checkpoint) and says so; a second, later one quits without a checkpoint. Leaving the
 * `using` block removes the listener.
 *
 * @example
 * ```ts
 * using interrupt = listenForInterrupt();
 * await train(cfg, { runDir, signal: interrupt.controller.signal });
 * ```
 */
export function listenForInterrupt(): { controller: AbortController } & Disposable {
  const controller = new AbortController();
  const onInterrupt = interruptHandler(controller, {
    now: () => performance.now(),
    quit: () => {
      console.error("\nsecond Ctrl-C: quitting without a checkpoint");
      Deno.exit(130);
    },
    notice: () =>
      console.error(
        "\nCtrl-C: stopping after this step and writing a checkpoint (Ctrl-C again quits now)",
      ),
  });
  Deno.addSignalListener("SIGINT", onInterrupt);
  return {
    controller,
    [Symbol.dispose]: () => Deno.removeSignalListener("SIGINT", onInterrupt),
  };
}

async function main(args: string[]): Promise<void> {
  // Installed first: a Ctrl-C while the kit loads or the backend starts stops cleanly too.
  using interrupt = listenForInterrupt();
  await trainCommand(args, interrupt.controller);
}

async function trainCommand(args: string[], controller: AbortController): Promise<void> {
  const [
    { initBackend, parseBackend },
    { formatConfig },
    { prepareOutputDir },
    { formatPckTable },
    { annotationsOf, meanPoseBaseline },
    { openDataset },
    { loadExperiment },
    { train },
    { metricLabel, splitMetric },
  ] = await Promise.all([
    import("../backend/select.ts"),
    import("../config/config.ts"),
    import("../io/output.ts"),
    import("../metrics/table.ts"),
    import("../data/baseline.ts"),
    import("../data/open.ts"),
    import("../train/config.ts"),
    import("../train/loop.ts"),
    import("../eval/validate.ts"),
  ]);
  const flags = parseFlags(args, {
    string: ["config", "out", "resume", "backend"],
    boolean: ["overwrite"],
    collect: ["set"],
  }, USAGE);
  if (flags._.length > 0) throw new KitError(`unexpected argument "${flags._[0]}"\n${USAGE}`);
  const sets = (flags.set as string[] | undefined) ?? [];
  const resume = flags.resume === undefined ? undefined : userPath(flags.resume as string);
  if (resume && flags.config) {
    throw new KitError("--resume continues with the run's own config.json; drop --config");
  }
  // A resumed run continues with its own config.json; either way the file goes through
  // loadExperiment, so its errors name the file (or the --set) and the key.
  const source = resume
    ? join(resume, "config.json")
    : flags.config === undefined
    ? DEFAULT_EXPERIMENT
    : userPath(flags.config as string);
  const cfg = await loadExperiment(source, sets);
  const backend = flags.backend ? parseBackend(flags.backend as string) : cfg.backend;
  const explicitDir = flags.out === undefined
    ? (cfg.output.dir || undefined)
    : userPath(flags.out as string);
  const runDir = resume ?? await chooseRunDir({
    requested: explicitDir ?? join("runs", cfg.name),
    explicit: explicitDir !== undefined,
    overwrite: flags.overwrite === true,
  });

  // A run directory that is a file or read-only fails now, not at the first checkpoint.
  await prepareOutputDir(runDir, { what: "the run", flag: resume ? "--resume" : "--out" });

  console.log(
    `experiment ${cfg.name} from ${source}${sets.length ? ` with ${sets.join(" ")}` : ""}`,
  );
  console.log(formatConfig(cfg));
  await initBackend(backend);
  const { checkStepFits } = await import("../train/preflight.ts"); // stops a step that cannot fit
  await checkStepFits({ ...cfg, batchSize: cfg.schedule.batchSize, log: console.log });

  if (controller.signal.aborted) {
    console.log("stopped before the first step: nothing to save");
    Deno.exitCode = 130;
    return;
  }
  const result = await train(cfg, {
    runDir,
    resume: resume !== undefined,
    signal: controller.signal,
  });
  if (result.interrupted) {
    console.log(
      `stopped at step ${result.state.step}; continue with: deno task train --resume ${runDir}`,
    );
    Deno.exitCode = 130;
    return;
  }
  const ev = result.lastEvaluation;
  if (ev) {
    const label = metricLabel(splitMetric(cfg.data, cfg.eval.alpha));
    console.log(
      `\nvalidation (${ev.ids.length} people, ${cfg.data.dataset}, step ${result.state.step}):`,
    );
    console.log(formatPckTable([{ label, result: ev.result }]));
    if (label === "PCKh@0.5") {
      // What centring and scale alone give on this split: the model should beat it.
      const [trainSet, valSet] = await Promise.all([
        openDataset(cfg.data, "train"),
        openDataset(cfg.data, "val"),
      ]);
      const base = meanPoseBaseline(
        await annotationsOf(trainSet, 2000),
        await annotationsOf(valSet, ev.ids.length),
      );
      console.log(
        `mean-pose baseline on the same people (no pixels): Mean ${base.mean.toFixed(2)}`,
      );
    }
  }
  console.log(
    `\ncheckpoints: ${runDir} (last.json, best.json); log: ${join(runDir, "log.jsonl")}`,
  );
}

if (import.meta.main) await runMain(() => main(Deno.args));
