/**
 * Reading what may not be there yet: a run folder not started, a file an older run did not
 * write. A missing path reads as `undefined`; every other failure (no permission, a file where a
 * folder should be) is still thrown, so it is never mistaken for "not there".
 *
 * @module
 */

/**
 * Runs `read` and gives its result, or `undefined` when what it reads does not exist
 * (`Deno.errors.NotFound`).
 *
 * @example
 * ```ts
 * const text = await ifExists(() => Deno.readTextFile("runs/abl/plan.json")); // undefined if absent
 * const names = await ifExists(() => dirNames("runs/abl"));
 * ```
 */
export async function ifExists<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

/**
 * The names of the entries of folder `dir` that `keep` accepts (default: all), in listing order.
 *
 * @example
 * ```ts
 * const seeds = await dirNames("runs/abl/mss", (e) => e.isDirectory && /^seed-\d+$/.test(e.name));
 * ```
 */
export async function dirNames(
  dir: string,
  keep: (entry: Deno.DirEntry) => boolean = () => true,
): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) if (keep(e)) names.push(e.name);
  return names;
}
