/**
 * `deno task ablation --report <root> --record <dir>`: copies what a seeded ablation's evidence
 * is (the plan with its command and commit, every run's config, log and stress scores, the
 * summary) into a folder for the repository, without the checkpoints.
 *
 * @module
 */

import { join } from "@std/path";
import { SUMMARY_FILE } from "../eval/ablation_seeded.ts";
import { STRESS_FILE } from "../eval/stress_run.ts";
import { writeFileAtomic } from "../io/atomic.ts";
import { dirNames, ifExists } from "../io/missing.ts";
import { KitError } from "../io/errors.ts";
import { PLAN_FILE } from "../train/ablation_plan.ts";

/** What a recorded run keeps. */
export const RECORDED_RUN_FILES = ["config.json", "log.jsonl", STRESS_FILE] as const;

/**
 * Copies the plan file, the summary and each run's {@link RECORDED_RUN_FILES} from `root` to
 * `dest` (same layout). `dest` must be new, empty, or an earlier record (it holds the plan
 * file), so no other folder of the user's is written into. Returns the number of files written.
 *
 * @example
 * ```ts
 * await recordPlan("runs/abl", "data/ablation/standard-2x64", ["hourglass/seed-1"], summary);
 * ```
 */
export async function recordPlan(
  root: string,
  dest: string,
  runDirs: readonly string[],
  summary: unknown,
): Promise<number> {
  const existing = await ifExists(() => dirNames(dest));
  if (existing && existing.length > 0 && !existing.includes(PLAN_FILE)) {
    throw new KitError(
      `${dest} holds other files and no ${PLAN_FILE}, so it is not an earlier record of an ` +
        `ablation; choose a new folder for --record`,
    );
  }
  let n = 0;
  const copy = async (from: string, to: string) => {
    const data = await ifExists(() => Deno.readFile(from));
    if (data === undefined) return;
    await writeFileAtomic(to, data);
    n++;
  };
  await copy(join(root, PLAN_FILE), join(dest, PLAN_FILE));
  for (const dir of runDirs) {
    for (const f of RECORDED_RUN_FILES) await copy(join(root, dir, f), join(dest, dir, f));
  }
  await writeFileAtomic(join(dest, SUMMARY_FILE), JSON.stringify(summary, null, 2) + "\n");
  return n + 1;
}
