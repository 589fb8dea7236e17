/**
 * `deno task demo [--checkpoint <run or checkpoint dir>] [--port 8000]`: a browser page on
 * 127.0.0.1 that runs a trained checkpoint with tfjs in the browser (WebGPU where the browser
 * has it, else WebGL, else the CPU backend; the page says which) on an image you pick or drop,
 * cropped around a box you drag or the whole image, and draws the skeleton and per-joint
 * heatmaps.
 *
 * @module
 */

import { startDemoServer } from "../demo/server.ts";
import { choiceFlag, numberFlag, parseFlags, runMain } from "./args.ts";

const USAGE = `usage: deno task demo [--checkpoint <run or checkpoint dir>] [--which best|last]
                      [--port <port>]

  Serves the demo page on http://127.0.0.1:<port>/ (default port 8000; 0 picks a free one)
  for a checkpoint (default runs/synth-hourglass-tiny, what deno task train leaves). Open it
  in a browser; Ctrl-C stops it. Add ?backend=webgpu|webgl|cpu to the URL to pick the tfjs
  backend (default: the first of webgpu, webgl, cpu that starts).`;

async function main(args: string[]): Promise<void> {
  const flags = parseFlags(args, { string: ["checkpoint", "which", "port"] }, USAGE);
  const checkpoint = (flags.checkpoint as string | undefined) ?? "runs/synth-hourglass-tiny";
  const which = choiceFlag(flags, "which", ["best", "last"] as const, "best");
  const port = numberFlag(flags, "port", 8000, { min: 0, max: 65535, integer: true });
  console.log(`demo: bundling the page and reading ${checkpoint} (${which})...`);
  const server = await startDemoServer(checkpoint, { port, which });
  const m = server.meta;
  console.log(
    `demo: ${m.checkpoint}, step ${m.step}, ${m.kind} on ${m.inputSize}px crops\n` +
      `demo: open ${server.url} (Ctrl-C stops)`,
  );
}

if (import.meta.main) await runMain(() => main(Deno.args));
