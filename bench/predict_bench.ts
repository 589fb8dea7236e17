/**
 * Predict benchmark: the stages of `deno task predict` on one image per size (decode, crop and
 * network, skeleton overlay, PNG encode), to show each grows with the pixel count (linear), not
 * with its square as the old overlay did (2000 px 8.8 s, 4000 px > 300 s, issue 17).
 *
 * Run alone: `deno run -A bench/predict_bench.ts --checkpoint <run dir> [--backend wasm]
 * [--sizes 1000,2000,4000,6000]` (size n means an n x 2n/3 image; 6000 is 24 MP).
 *
 * @module
 */

import { initBackend, parseBackend } from "../lib/backend/select.ts";
import { parseFlags, runMain } from "../lib/cli/args.ts";
import { decodeImage } from "../lib/data/image.ts";
import { tidyPredict } from "../lib/eval/dataset.ts";
import { estimatePoses } from "../lib/eval/infer.ts";
import { KitError } from "../lib/io/errors.ts";
import { predictHeatmaps } from "../lib/models/build.ts";
import { type Keypoint, MPII_JOINTS } from "../lib/skeleton/mod.ts";
import { loadTrained } from "../lib/train/load.ts";
import { drawSkeleton, encodePng } from "../lib/viz/draw.ts";

const USAGE =
  "usage: deno run -A bench/predict_bench.ts --checkpoint <run> [--backend b] [--sizes a,b]";

async function seconds<T>(fn: () => T | Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const r = await fn();
  return [r, (performance.now() - t) / 1000];
}

async function main(args: string[]): Promise<void> {
  const flags = parseFlags(args, { string: ["checkpoint", "backend", "sizes"] }, USAGE);
  if (!flags.checkpoint) throw new KitError(`--checkpoint is required\n${USAGE}`);
  await initBackend(parseBackend((flags.backend as string | undefined) ?? "wasm"));
  const { net, config, heatmaps } = await loadTrained(flags.checkpoint as string);
  const predict = tidyPredict((x) => predictHeatmaps(net, x, heatmaps));
  const sizes = ((flags.sizes as string | undefined) ?? "1000,2000,4000,6000").split(",")
    .map(Number);
  console.log("width x height   MP  decode  crop+net  overlay  encode   (seconds)");
  for (const width of sizes) {
    const height = Math.round((width * 2) / 3);
    const data = new Uint8Array(width * height * 3);
    for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24; // not flat
    const png = encodePng({ width, height, data });
    const [image, decode] = await seconds(() => decodeImage(png));
    const [est, infer] = await seconds(() =>
      estimatePoses(predict, [{
        image,
        center: [(width - 1) / 2, (height - 1) / 2],
        scale: width / 200,
      }], {
        size: config.data.inputSize,
        stride: config.data.outputStride,
        batchSize: 1,
        crop: { padding: 1, shiftY: 0 },
      })
    );
    const kps: Keypoint[] = MPII_JOINTS.map((_, j) => [
      est.coords[2 * j]!,
      est.coords[2 * j + 1]!,
      2,
    ]);
    const [overlay, draw] = await seconds(() => drawSkeleton(image, kps));
    const [, encode] = await seconds(() => encodePng(overlay));
    console.log(
      `${`${width} x ${height}`.padEnd(15)} ${(width * height / 1e6).toFixed(1).padStart(4)}  ` +
        [decode, infer, draw, encode].map((s) => s.toFixed(2).padStart(7)).join("  "),
    );
  }
}

if (import.meta.main) await runMain(() => main(Deno.args));
