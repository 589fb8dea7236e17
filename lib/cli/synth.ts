/**
 * `deno task synth --out <dir> --count <n> [--seed <s>] [--overwrite]`: writes a SynthPose split in the
 * bearpaw MPII JSON layout (`<dir>/mpii_annotations.json`) with one PNG per record
 * (`<dir>/images/`), readable with `data.dataset=mpii_json data.root=<dir>`.
 *
 * @module
 */

import { combineOverrides, parseSet } from "../config/config.ts";
import { dataConfig, synthImageSize } from "../data/config.ts";
import { exportSynth } from "../data/export.ts";
import { KitError } from "../io/errors.ts";
import { prepareOutputDir } from "../io/output.ts";
import { numberFlag, parseFlags, runMain, userPath } from "./args.ts";

/** Without --force, more records than this are refused as a likely typo (1e12). */
export const MAX_RECORDS = 1_000_000;
/** Without --force, an export estimated larger than this is refused. */
export const MAX_BYTES = 20 * 2 ** 30;
/** Measured PNG size of SynthPose scenes, bytes per pixel (flat shapes compress well). */
const PNG_BYTES_PER_PIXEL = 1.5;

/**
 * The estimated disk size of an export, bytes: PNGs at PNG_BYTES_PER_PIXEL plus ~1 KB of JSON per
 * record.
 *
 * @example
 * ```ts
 * estimateExportBytes(1000, 341); // about 175 MB
 * ```
 */
export function estimateExportBytes(records: number, imageSize: number): number {
  return records * (imageSize * imageSize * PNG_BYTES_PER_PIXEL + 1024);
}

const USAGE = `usage: deno task synth --out <dir> --count <n> [options]

Writes SynthPose samples as <dir>/mpii_annotations.json (bearpaw MPII layout) and
<dir>/images/*.png.

  --out <dir>          output folder (created)
  --count <n>          training records (isValidation 0)
  --val-count <n>      validation records (isValidation 1), default 0
  --seed <s>           dataset seed (data.synth.seed), default 1
  --image-size <px>    scene side in px, default auto (4/3 of data.inputSize)
  --input-size <px>    crop size the scenes are made for (data.inputSize), default 256
  --set key=value      any data config key, e.g. --set synth.clutter=20 (repeatable)
  --overwrite          write into a folder that already holds files (they may be replaced)
  --force              write more than ${
  MAX_RECORDS.toLocaleString("en")
} records or an estimated ${MAX_BYTES / 2 ** 30} GiB`;

/**
 * Runs the command on its arguments.
 *
 * @example
 * ```ts
 * await main(["--out", "runs/synth", "--count", "100"]);
 * ```
 */
export async function main(args: string[]): Promise<void> {
  const flags = parseFlags(args, {
    string: ["out", "count", "val-count", "seed", "image-size", "input-size"],
    boolean: ["overwrite", "force"],
    collect: ["set"],
  }, USAGE);
  if (typeof flags.out !== "string" || flags.out === "") {
    throw new KitError(`--out is required\n${USAGE}`);
  }
  const out = userPath(flags.out);
  if (flags.count === undefined) throw new KitError(`--count is required\n${USAGE}`);
  const count = numberFlag(flags, "count", 0, { min: 0, integer: true });
  const valCount = numberFlag(flags, "val-count", 0, { min: 0, integer: true });
  if (count + valCount === 0) {
    throw new KitError("--count and --val-count are both 0: nothing to write");
  }
  const sets = ((flags.set as string[] | undefined) ?? []).map(parseSet);
  const synth: Record<string, unknown> = {};
  if (flags.seed !== undefined) synth.seed = numberFlag(flags, "seed", 1, { integer: true });
  if (flags["image-size"] !== undefined) {
    synth.imageSize = numberFlag(flags, "image-size", 0, { min: 16, integer: true });
  }
  const direct: Record<string, unknown> = { synth };
  if (flags["input-size"] !== undefined) {
    direct.inputSize = numberFlag(flags, "input-size", 256, { min: 8, integer: true });
  }
  // Counts larger than the configured split sizes are fine: the export names its own sizes.
  const config = dataConfig(
    combineOverrides(...sets, direct, {
      synth: { trainSize: Math.max(1, count), valSize: Math.max(1, valCount) },
    }),
  );
  const records = count + valCount;
  const bytes = estimateExportBytes(records, synthImageSize(config));
  if (!flags.force && (records > MAX_RECORDS || bytes > MAX_BYTES)) {
    throw new KitError(
      `--count ${count} --val-count ${valCount} would write ${records.toLocaleString("en")} ` +
        `images, about ${(bytes / 2 ** 30).toFixed(1)} GiB (limits without --force: ` +
        `${MAX_RECORDS.toLocaleString("en")} records, ${MAX_BYTES / 2 ** 30} GiB); pass --force ` +
        `if you mean it`,
    );
  }
  // A folder with files in it (real annotations, an earlier export) is never written over by
  // accident; a file, or a place that cannot be written, fails before the first image.
  await prepareOutputDir(out, {
    what: "the dataset",
    empty: true,
    overwrite: flags.overwrite === true,
  });
  const file = await exportSynth({ out, count, valCount, config });
  console.log(`wrote ${file} (${count} train, ${valCount} val records)`);
}

if (import.meta.main) await runMain(() => main(Deno.args));
