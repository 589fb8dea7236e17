/**
 * `deno task demo [--checkpoint <run or checkpoint dir>] [--port 8000]`: a browser page on
 * 127.0.0.1 that runs a trained checkpoint with tfjs in the browser (WebGPU where the browser
 * has it, else WebGL, else the CPU backend; the page says which) on an image you pick or drop,
 * cropped around a box you drag or the whole image, and draws the skeleton and per-joint
 * heatmaps.
 *
 * @module
 */

import { resolve } from "@std/path";
import { initBackend } from "../backend/select.ts";
import { launchChromium } from "../browser/chromium.ts";
import { startDemoServer } from "../demo/server.ts";
import { KitError } from "../io/errors.ts";
import { choiceFlag, numberFlag, parseFlags, runMain } from "./args.ts";

const USAGE = `usage: deno task demo [--checkpoint <run or checkpoint dir>] [--which best|last]
                      [--port <port>] [--screenshot <out.png> --image <image>]

  Serves the demo page on http://127.0.0.1:<port>/ (default port 8000; 0 picks a free one)
  for a checkpoint (default: runs/synth-hourglass-tiny, what deno task train leaves, when it
  holds a run, else the kit's committed data/trained/synth-hourglass-tiny). Open it
  in a browser; Ctrl-C stops it. Add ?backend=webgpu|webgl|cpu to the URL to pick the tfjs
  backend (default: the first of webgpu, webgl, cpu that starts).
  --screenshot out.png --image photo.png: instead of serving, open the page in headless
  Chromium (tfjs cpu backend), predict on the image and save a screenshot of the page.`;

/** Opens the page in headless Chromium, picks `image` and saves a screenshot of the page. */
async function screenshot(url: string, image: string, out: string): Promise<void> {
  const browser = await launchChromium({ width: 1100, height: 900 });
  try {
    const page = await browser.newPage();
    await page.goto(`${url}?backend=cpu`);
    await page.waitFor("posekitDemo.ready || posekitDemo.error", "the demo page did not load");
    await page.setInputFiles("#file", [resolve(image)]);
    await page.waitFor(
      "posekitDemo.predictions >= 1 || posekitDemo.error",
      "the demo page made no prediction",
      120_000,
    );
    const error = await page.evaluate<string | null>("posekitDemo.error ?? null");
    if (error) throw new KitError(`the demo page says: ${error}`);
    const height = await page.evaluate<number>("document.documentElement.scrollHeight");
    await Deno.writeFile(out, await page.screenshot({ x: 0, y: 0, width: 1100, height }));
  } finally {
    await browser.close();
  }
}

/** The default run's directory when it holds a run, else the checkpoint the kit ships. */
async function defaultCheckpoint(): Promise<string> {
  const own = "runs/synth-hourglass-tiny";
  const ran = await Deno.stat(`${own}/last.json`).then(() => true, () => false);
  return ran ? own : "data/trained/synth-hourglass-tiny";
}

async function main(args: string[]): Promise<void> {
  const flags = parseFlags(args, {
    string: ["checkpoint", "which", "port", "screenshot", "image"],
  }, USAGE);
  if ((flags.screenshot === undefined) !== (flags.image === undefined)) {
    throw new KitError("--screenshot and --image go together");
  }
  const checkpoint = (flags.checkpoint as string | undefined) ?? await defaultCheckpoint();
  const which = choiceFlag(flags, "which", ["best", "last"] as const, "best");
  const port = numberFlag(flags, "port", 8000, { min: 0, max: 65535, integer: true });
  console.log(`demo: bundling the page and reading ${checkpoint} (${which})...`);
  // Deno only reads the checkpoint's config here (the browser runs the model): cpu suffices.
  await initBackend("cpu", () => {});
  const server = await startDemoServer(checkpoint, {
    port: flags.screenshot ? 0 : port,
    which,
  });
  if (flags.screenshot) {
    try {
      await screenshot(server.url, flags.image as string, flags.screenshot as string);
      console.log(`demo: wrote ${flags.screenshot}`);
    } finally {
      await server.stop();
    }
    return;
  }
  const m = server.meta;
  console.log(
    `demo: ${m.checkpoint}, step ${m.step}, ${m.kind} on ${m.inputSize}px crops\n` +
      `demo: open ${server.url} (Ctrl-C stops)`,
  );
}

if (import.meta.main) await runMain(() => main(Deno.args));
