/**
 * Atomic file writes: a reader (or a crash) sees the old file or the new one, never half of one.
 *
 * @module
 */

import { dirname, join } from "@std/path";

/**
 * Writes `data` to `path` through a temporary file in the same directory and a rename.
 *
 * @example
 * ```ts
 * await writeFileAtomic("runs/a/state.json", new TextEncoder().encode("{}"));
 * ```
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const dir = dirname(path);
  await Deno.mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${crypto.randomUUID()}.tmp`);
  try {
    const file = await Deno.open(tmp, { write: true, create: true, truncate: true });
    try {
      const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
      let written = 0;
      while (written < bytes.length) written += await file.write(bytes.subarray(written));
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}
