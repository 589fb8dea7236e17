/**
 * `deno task synth --out <dir> --count <n> [--seed <s>]`: writes a SynthPose split in the
 * bearpaw MPII JSON layout (`<dir>/mpii_annotations.json`) with one PNG per record
 * (`<dir>/images/`), readable with `data.dataset=mpii_json data.root=<dir>`.
 *
 * @module
 */

import { combineOverrides, parseSet } from "../config/config.ts";
import { dataConfig } from "../data/config.ts";
import { exportSynth } from "../data/export.ts";
import { KitError } from "../io/errors.ts";
import { numberFlag, parseFlags, runMain } from "./args.ts";

const USAGE = `usage: deno task synth --out <dir> --count <n> [options]

Writes SynthPose samples as <dir>/mpii_annotations.json (bearpaw MPII layout) and
<dir>/images/*.png.

  --out <dir>          output folder (created)
  --count <n>          training records (isValidation 0)
  --val-count <n>      validation records (isValidation 1), default 0
  --seed <s>           dataset seed (data.synth.seed), default 1
  --image-size <px>    scene side in px, default auto (4/3 of data.inputSize)
  --input-size <px>    crop size the scenes are made for (data.inputSize), default 256
  --set key=value      any data config key, e.g. --set synth.clutter=20 (repeatable)`;

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
    collect: ["set"],
  }, USAGE);
  const out = flags.out;
  if (typeof out !== "string" || out === "") throw new KitError(`--out is required\n${USAGE}`);
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
  const file = await exportSynth({ out, count, valCount, config });
  console.log(`wrote ${file} (${count} train, ${valCount} val records)`);
}

if (import.meta.main) await runMain(() => main(Deno.args));
