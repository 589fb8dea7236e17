/**
 * The crash-safety of checkpoints: every file of a checkpoint is written and fsynced in a
 * temporary directory, which is published under a name no pointer uses yet; only then does the
 * pointer (`last.json`, `best.json`) swap to it, and only after that are directories no pointer
 * names collected. A kill at any instant therefore leaves every pointer naming a complete
 * checkpoint. A manifest of file sizes, written last, lets readers refuse an incomplete one.
 *
 * @module
 */

import { join } from "@std/path";
import { syncDir } from "../io/atomic.ts";
import { KitError } from "../io/errors.ts";

/**
 * The moments of a checkpoint write, in order, at which a fault-injection hook runs:
 * `start` (nothing written yet), `temp-written` (the temporary directory complete and synced),
 * `published` (renamed to its final name, no pointer naming it yet), `pointer-swapped` (last.json,
 * and best.json when best, name it; old checkpoints not yet collected), `gc` (one unreferenced
 * checkpoint moved aside for removal, others possibly still there).
 */
export type CheckpointPhase = "start" | "temp-written" | "published" | "pointer-swapped" | "gc";

/** Every phase, in the order a write passes them. */
export const CHECKPOINT_PHASES: readonly CheckpointPhase[] = [
  "start",
  "temp-written",
  "published",
  "pointer-swapped",
  "gc",
];

/** Called at each phase of every checkpoint write (tests kill the process there). */
export type CheckpointFaultHook = (
  phase: CheckpointPhase,
  info: { readonly step: number; readonly runDir: string },
) => void | Promise<void>;

let faultHook: CheckpointFaultHook | undefined;

/**
 * Installs (or with `undefined` removes) a hook run at each phase of every checkpoint write, so
 * tests can kill a run at an exact point of the write instead of racing a timer.
 *
 * @example
 * ```ts
 * setCheckpointFaultHook((phase) => {
 *   if (phase === "published") Deno.kill(Deno.pid, "SIGKILL");
 * });
 * ```
 */
export function setCheckpointFaultHook(hook: CheckpointFaultHook | undefined): void {
  faultHook = hook;
}

/**
 * Runs the fault hook, if any, for one phase.
 *
 * @example
 * ```ts
 * await checkpointFault("start", { step: 3, runDir });
 * ```
 */
export async function checkpointFault(
  phase: CheckpointPhase,
  info: { step: number; runDir: string },
): Promise<void> {
  await faultHook?.(phase, info);
}

/** The file listing a checkpoint's files and sizes; written last, so its presence means done. */
export const MANIFEST = "manifest.json";

/** What `manifest.json` holds. */
export interface CheckpointManifest {
  /** Byte size of every other file of the checkpoint. */
  readonly files: Record<string, number>;
  /** Whether the optimiser's state was saved (a resumed run needs it). */
  readonly optimizer: boolean;
}

/** Files every checkpoint has, also those written before manifests existed. */
const REQUIRED = ["model.json", "weights.bin", "state.json", "config.json"];

/**
 * Reads a checkpoint's manifest; `undefined` for a checkpoint written before manifests existed.
 *
 * @example
 * ```ts
 * (await readManifest(dir))?.optimizer; // true for checkpoints written by training
 * ```
 */
export async function readManifest(dir: string): Promise<CheckpointManifest | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(join(dir, MANIFEST));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw new KitError(`${join(dir, MANIFEST)}: cannot read (${(e as Error).message})`);
  }
  try {
    const m = JSON.parse(text) as CheckpointManifest;
    if (typeof m.files !== "object" || m.files === null) throw new Error("no files list");
    return m;
  } catch (e) {
    throw new KitError(
      `${join(dir, MANIFEST)}: not a checkpoint manifest (${(e as Error).message})`,
    );
  }
}

/**
 * Throws a KitError naming the first missing or truncated file when a checkpoint is incomplete:
 * every file its manifest lists, with its size, or (older checkpoints) the four required files.
 *
 * @example
 * ```ts
 * await verifyCheckpoint("runs/hg/checkpoints/step-0000042");
 * ```
 */
export async function verifyCheckpoint(dir: string): Promise<CheckpointManifest | undefined> {
  const manifest = await readManifest(dir);
  const expected: [string, number | undefined][] = manifest
    ? Object.entries(manifest.files)
    : REQUIRED.map((f) => [f, undefined]);
  for (const [file, size] of expected) {
    let actual: number;
    try {
      actual = (await Deno.stat(join(dir, file))).size;
    } catch {
      throw new KitError(
        `${join(dir, file)}: missing; ${dir} is an incomplete checkpoint and cannot be used`,
      );
    }
    if (size !== undefined && actual !== size) {
      throw new KitError(
        `${join(dir, file)}: ${actual} bytes, the checkpoint's manifest says ${size}; ${dir} is ` +
          `incomplete or damaged and cannot be used`,
      );
    }
  }
  return manifest;
}

/**
 * A free final name for a checkpoint of `step`: `step-0000042`, or when a checkpoint of the same
 * step exists (an epoch end after a timed or Ctrl-C checkpoint, a resumed run), `step-0000042-2`,
 * `-3`, ..., so the directory a pointer names is never replaced in place.
 *
 * @example
 * ```ts
 * await freeCheckpointName("runs/hg/checkpoints", 42); // "step-0000042"
 * ```
 */
export async function freeCheckpointName(root: string, step: number): Promise<string> {
  const base = `step-${String(step).padStart(7, "0")}`;
  const taken = async (name: string) =>
    await Deno.stat(join(root, name)).then(() => true, () => false);
  if (!(await taken(base))) return base;
  let k = 2;
  while (await taken(`${base}-${k}`)) k++;
  return `${base}-${k}`;
}

/** Files a training run writes atomically in its directory, and its lock. */
const RUN_FILES = ["last.json", "best.json", "config.json", "log.jsonl", "run.lock"];

/**
 * Removes what a killed writer left behind: temporary checkpoint directories
 * (`checkpoints/.step-*.tmp`), checkpoints moved aside for removal (`checkpoints/.gc-*.tmp`) and
 * temporary run files (`.last.json.*.tmp` and the like). Call only while holding the run's lock:
 * another writer's temporaries are live. Returns the paths removed.
 *
 * @example
 * ```ts
 * await removeStaleTemporaries("runs/hg"); // ["runs/hg/checkpoints/.step-0000003-….tmp"]
 * ```
 */
export async function removeStaleTemporaries(runDir: string): Promise<string[]> {
  const removed: string[] = [];
  for (const dir of [runDir, join(runDir, "checkpoints")]) {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(dir));
    } catch {
      continue;
    }
    for (const e of entries) {
      if (!e.name.startsWith(".") || !e.name.endsWith(".tmp")) continue;
      // In the run directory only the run's own files' temporaries: others (an evaluation
      // writing its predictions there) may be live.
      if (dir === runDir && !RUN_FILES.some((f) => e.name.startsWith(`.${f}`))) continue;
      await Deno.remove(join(dir, e.name), { recursive: true }).catch(() => {});
      removed.push(join(dir, e.name));
    }
    if (removed.length > 0) await syncDir(dir);
  }
  return removed;
}
