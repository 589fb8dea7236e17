/**
 * Durable file writes: a reader (or a crash, or a kill at any instant) sees the old file or the
 * new one, never half of one. Data is fsynced before the rename that publishes it, and the
 * directory after, so the rename itself survives a power cut.
 *
 * @module
 */

import { basename, dirname, join } from "@std/path";

/**
 * Writes all of `data` to `path` (created or truncated) and fsyncs it before returning.
 *
 * @example
 * ```ts
 * await writeFileSynced("runs/a/checkpoints/.tmp/weights.bin", bytes);
 * ```
 */
export async function writeFileSynced(path: string, data: Uint8Array | string): Promise<void> {
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  try {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    let written = 0;
    while (written < bytes.length) written += await file.write(bytes.subarray(written));
    await file.sync();
  } finally {
    file.close();
  }
}

/**
 * Fsyncs a directory, making the creations, renames and removals in it durable. Platforms that
 * cannot open a directory (Windows) skip it: their renames are journaled by the file system.
 *
 * @example
 * ```ts
 * await syncDir("runs/a/checkpoints");
 * ```
 */
export async function syncDir(path: string): Promise<void> {
  let dir: Deno.FsFile;
  try {
    dir = await Deno.open(path, { read: true });
  } catch {
    return;
  }
  try {
    await dir.sync();
  } catch {
    // Some file systems refuse fsync on a directory; the rename is as durable as they allow.
  } finally {
    dir.close();
  }
}

/**
 * Writes `data` to `path` through a fsynced temporary file in the same directory
 * (`.<name>.<uuid>.tmp`, so a cleanup can tell whose it is) and a rename.
 *
 * @example
 * ```ts
 * await writeFileAtomic("runs/a/state.json", new TextEncoder().encode("{}"));
 * ```
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const dir = dirname(path);
  await Deno.mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${crypto.randomUUID()}.tmp`);
  try {
    await writeFileSynced(tmp, data);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
  await syncDir(dir);
}
