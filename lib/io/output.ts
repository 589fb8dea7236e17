/**
 * Output locations checked before long work starts: a folder that is a file, a read-only place,
 * or a non-empty folder that would be overwritten fails at once with one line naming the path,
 * not after an hour of training or evaluation with a stack trace.
 *
 * @module
 */

import { dirname, join } from "@std/path";
import { KitError } from "./errors.ts";

async function statOrUndefined(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    // NotADirectory: a parent of `path` is a file.
    if (e instanceof Deno.errors.NotADirectory) {
      throw new KitError(`${path}: a parent of this path is a file, not a folder`);
    }
    throw new KitError(`${path}: cannot inspect (${(e as Error).message})`);
  }
}

/** Creates a probe file in `dir` and removes it: the one portable test that writes will work. */
async function probeWritable(dir: string, what: string): Promise<void> {
  const probe = join(dir, `.write-probe-${crypto.randomUUID()}.tmp`);
  try {
    await Deno.writeFile(probe, new Uint8Array(0), { createNew: true });
  } catch (e) {
    throw new KitError(`${dir}: cannot write ${what} here (${(e as Error).message})`);
  }
  await Deno.remove(probe).catch(() => {});
}

/**
 * Makes sure `dir` is a folder this process can write (creating it with its parents), so a
 * command fails before its work when it could not save the result. With `empty`, a folder that
 * already holds files is refused unless `overwrite` (naming the flag to pass).
 *
 * @example
 * ```ts
 * await prepareOutputDir("predictions", { what: "predictions" });
 * await prepareOutputDir("data/synth", { what: "the dataset", empty: true, overwrite: false });
 * ```
 */
export async function prepareOutputDir(
  dir: string,
  opts: { what: string; empty?: boolean; overwrite?: boolean; flag?: string },
): Promise<void> {
  const info = await statOrUndefined(dir);
  const flag = opts.flag ?? "--out";
  if (info && !info.isDirectory) {
    throw new KitError(`${dir}: ${flag} names a file, not a folder; ${opts.what} needs a folder`);
  }
  if (info && opts.empty && !opts.overwrite) {
    for await (const _ of Deno.readDir(dir)) {
      throw new KitError(
        `${dir}: ${flag} is not empty and writing ${opts.what} there would overwrite its files; ` +
          `choose an empty or new folder, or pass --overwrite`,
      );
    }
  }
  if (!info) {
    try {
      await Deno.mkdir(dir, { recursive: true });
    } catch (e) {
      const why = e instanceof Deno.errors.NotADirectory || e instanceof Deno.errors.AlreadyExists
        ? "a parent of it is a file"
        : (e as Error).message;
      throw new KitError(`${dir}: cannot create the ${flag} folder (${why})`);
    }
  }
  await probeWritable(dir, opts.what);
}

/**
 * Makes sure a file can be written at `path` later: its folder exists (or can be created) and is
 * writable, and `path` is not a folder.
 *
 * @example
 * ```ts
 * await checkOutputFile("runs/hg/preds_mpii_val.h5");
 * ```
 */
export async function checkOutputFile(path: string, flag = "--out"): Promise<void> {
  const info = await statOrUndefined(path);
  if (info?.isDirectory) throw new KitError(`${path}: ${flag} names a folder, not a file`);
  await prepareOutputDir(dirname(path), { what: "the output file", flag: `${flag}'s folder` });
}
