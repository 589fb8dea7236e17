/**
 * `deno task pose-bank <mpii_annotations.json[.gz]> [out.json]`: builds SynthPose's bank of real
 * human poses (default `data/synth_pose_bank.json`) from the MPII annotations in the bearpaw
 * layout (lib/data/synth/pose_bank.ts says which poses and how they are stored).
 *
 * @module
 */

import { buildPoseBank, formatPoseBank, type MpiiPoseRecord } from "../data/synth/pose_bank.ts";
import { writeFileAtomic } from "../io/atomic.ts";
import { KitError } from "../io/errors.ts";
import { runMain } from "./args.ts";

/** Where the kit's pose bank lives. */
export const DEFAULT_POSE_BANK = "data/synth_pose_bank.json";

const USAGE = "usage: deno task pose-bank <mpii_annotations.json[.gz]> [out.json]";

/**
 * Reads a bearpaw `mpii_annotations.json` (gzipped when its name ends in `.gz`).
 *
 * @example
 * ```ts
 * const records = await readMpiiRecords("../shared/reference/mpii/mpii_annotations.json.gz");
 * ```
 */
export async function readMpiiRecords(path: string): Promise<MpiiPoseRecord[]> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new KitError(`${path}: cannot read (${(e as Error).message})`);
  }
  if (path.endsWith(".gz")) {
    const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(
      new DecompressionStream("gzip"),
    );
    bytes = new Uint8Array(await new Response(stream).arrayBuffer());
  }
  const parsed = JSON.parse(new TextDecoder().decode(bytes));
  if (!Array.isArray(parsed)) throw new KitError(`${path}: expected a JSON array of records`);
  return parsed as MpiiPoseRecord[];
}

/**
 * Runs the command on its arguments.
 *
 * @example
 * ```ts
 * await main(["../shared/reference/mpii/mpii_annotations.json.gz", "/tmp/bank.json"]);
 * ```
 */
export async function main(args: string[]): Promise<void> {
  const [input, output = DEFAULT_POSE_BANK] = args;
  if (!input) throw new KitError(USAGE);
  const bank = buildPoseBank(await readMpiiRecords(input));
  await writeFileAtomic(output, formatPoseBank(bank));
  console.log(`wrote ${output}: ${bank.train.length} train and ${bank.val.length} val poses`);
}

if (import.meta.main) await runMain(() => main(Deno.args));
