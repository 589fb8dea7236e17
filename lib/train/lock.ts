/**
 * One writer per run directory: a training run holds `<run>/run.lock` (its pid, host and start
 * time) while it writes the log, checkpoints and pointers. A second run into the same directory
 * is refused with the holder's pid; a lock whose process is gone (killed) is stale and taken over.
 *
 * @module
 */

import { join } from "@std/path";
import { KitError } from "../io/errors.ts";
import { removeStaleTemporaries } from "./checkpoint_files.ts";

/** The lock file's name inside a run directory. */
export const LOCK_FILE = "run.lock";

/** What a lock file holds. */
export interface LockInfo {
  readonly pid: number;
  readonly host: string;
  /** The holder's process start time (Linux: clock ticks after boot), to tell a reused pid. */
  readonly started: string | null;
  readonly since: string;
}

/** A held lock. */
export interface RunLock {
  readonly path: string;
  /** Removes the lock file (once; later calls do nothing). */
  release(): Promise<void>;
}

/** This machine's name, or "unknown" where the permission to read it was not given. */
function hostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "unknown";
  }
}

/** Locks held by this process, so a second run in the same process is refused too. */
const heldHere = new Set<string>();

/** A process's start time from /proc (Linux); null elsewhere or when it is gone. */
async function processStart(pid: number): Promise<string | null> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    // Fields after the parenthesised command name; the start time is field 22 of stat(5).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

/** Whether the process that wrote `info` is still running. */
async function holderAlive(info: LockInfo): Promise<boolean> {
  // Another machine's process (a shared file system) cannot be checked: never steal its lock.
  if (info.host !== hostname()) return true;
  if (info.pid === Deno.pid) return false; // this process holds no such lock (checked before)
  if (await Deno.stat("/proc/self").then(() => true, () => false)) {
    // Linux: the pid runs when /proc has it, and is the holder when its start time matches
    // (a pid reused by another process after a kill starts later).
    const now = await processStart(info.pid);
    return now !== null && (info.started === null || now === info.started);
  }
  if (Deno.build.os === "windows") return true; // cannot tell: never steal
  // Other Unixes: `kill -0` tests existence without sending a signal.
  try {
    const r = await new Deno.Command("kill", { args: ["-0", String(info.pid)], stderr: "null" })
      .output();
    return r.success;
  } catch {
    return true;
  }
}

async function readLock(path: string): Promise<LockInfo | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(path)) as LockInfo;
  } catch {
    return undefined; // gone, or cut short by a kill while it was written
  }
}

/**
 * Takes the lock of a run directory (created if needed), then removes the temporaries a killed
 * writer left (safe now that no one else writes). Throws a KitError naming the holder's pid when
 * another live process holds it.
 *
 * @example
 * ```ts
 * const lock = await lockRunDir("runs/hg");
 * try {
 *   // ... train ...
 * } finally {
 *   await lock.release();
 * }
 * ```
 */
export async function lockRunDir(runDir: string): Promise<RunLock> {
  try {
    await Deno.mkdir(runDir, { recursive: true });
  } catch (e) {
    throw new KitError(`${runDir}: cannot create the run directory (${(e as Error).message})`);
  }
  const path = join(runDir, LOCK_FILE);
  if (heldHere.has(path)) {
    throw new KitError(`${runDir} is already being trained by this process; use another --out`);
  }
  const info: LockInfo = {
    pid: Deno.pid,
    host: hostname(),
    started: await processStart(Deno.pid),
    since: new Date().toISOString(),
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await Deno.writeTextFile(path, JSON.stringify(info), { createNew: true });
      heldHere.add(path);
      await removeStaleTemporaries(runDir);
      let released = false;
      return {
        path,
        release: async () => {
          if (released) return;
          released = true;
          heldHere.delete(path);
          await Deno.remove(path).catch(() => {});
        },
      };
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) {
        throw new KitError(`${path}: cannot create the run's lock (${(e as Error).message})`);
      }
    }
    const holder = await readLock(path);
    if (holder && await holderAlive(holder)) {
      throw new KitError(
        `${runDir} is in use by another training run (pid ${holder.pid} on ${holder.host}, ` +
          `since ${holder.since}); wait for it, stop it, or choose another --out`,
      );
    }
    // Stale (its process is gone) or unreadable: move it aside in one rename, so of two
    // processes taking over the same stale lock only one succeeds, then try again.
    const aside = join(runDir, `.${LOCK_FILE}-${crypto.randomUUID()}.tmp`);
    try {
      await Deno.rename(path, aside);
      const moved = await readLock(aside);
      if (holder && moved && moved.pid !== holder.pid) {
        // Another process took the stale lock between our read and our rename: give it back.
        await Deno.link(aside, path).catch(() => {});
      }
      await Deno.remove(aside).catch(() => {});
    } catch {
      // Someone else moved it first; the next attempt sees who holds it now.
    }
  }
  throw new KitError(`${path}: could not take the run's lock (contended); try again`);
}
