/**
 * The demo's server (Deno side): bundles `app.ts` for the browser with `deno bundle`, reads a
 * checkpoint's metadata with the kit's own loader, and serves the page, the bundle and the
 * checkpoint's `model.json` + `weights.bin` on 127.0.0.1.
 *
 * @module
 */

import { fromFileUrl, join } from "@std/path";
import { KitError } from "../io/errors.ts";
import type { CheckpointPointer } from "../train/checkpoint.ts";
import { loadTrained } from "../train/load.ts";
import type { DemoMeta } from "./pose.ts";

/** A running demo server. */
export interface DemoServer {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  readonly meta: DemoMeta;
  stop(): Promise<void>;
}

/** Joints below this confidence are drawn as rings, as `deno task predict` does by default. */
const MIN_CONFIDENCE = 0.1;

const here = (file: string) => fromFileUrl(new URL(file, import.meta.url));

/**
 * Bundles the page's script (tfjs with its webgpu, webgl and cpu backends, and the kit's
 * modules it imports) into one browser file; returns its text.
 *
 * @example
 * ```ts
 * const js = await bundleDemo(); // about 1.2 MB minified
 * ```
 */
export async function bundleDemo(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "posekit-demo-" });
  const out = join(dir, "app.js");
  try {
    const r = await new Deno.Command(Deno.execPath(), {
      args: [
        "bundle",
        "--quiet",
        "--platform",
        "browser",
        "--minify",
        "--config",
        here("../../deno.json"),
        "-o",
        out,
        here("app.ts"),
      ],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!r.success) {
      throw new KitError(
        `deno bundle of lib/demo/app.ts failed:\n${new TextDecoder().decode(r.stderr)}`,
      );
    }
    return await Deno.readTextFile(out);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/**
 * What the page needs besides model.json: the crop size, stride, flip and signed decoding of
 * the run, and which model output `deno task predict` reads (`loadTrained`'s heatmap source:
 * the MSR-net's factor-1 output when trained, else the last stack's factor-1 output).
 *
 * @example
 * ```ts
 * const { meta, dir } = await demoMeta("runs/synth-hourglass-tiny");
 * meta.outputIndex; // 1 for a 2-stack hourglass
 * ```
 */
export async function demoMeta(
  checkpoint: string,
  which: CheckpointPointer = "best",
): Promise<{ meta: DemoMeta; dir: string }> {
  const { net, config, dir, heatmaps, state } = await loadTrained(checkpoint, which);
  try {
    const lastStack = Math.max(...net.outputs.map((o) => (o.stack === "msr" ? -1 : o.stack)));
    const msr = net.outputs.findIndex((o) => o.stack === "msr" && o.factor === 1);
    const stack = net.outputs.findIndex((o) => o.stack === lastStack && o.factor === 1);
    const outputIndex = heatmaps === "final" && msr >= 0 ? msr : stack;
    return {
      dir,
      meta: {
        checkpoint: dir,
        step: state.step,
        kind: config.model.kind,
        inputSize: config.data.inputSize,
        stride: config.data.outputStride,
        flip: config.eval.flip,
        signed: config.data.occludedTarget === "negative",
        outputIndex,
        minConfidence: MIN_CONFIDENCE,
      },
    };
  } finally {
    net.graph.dispose();
  }
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".bin": "application/octet-stream",
};

/**
 * Serves the demo for a checkpoint (run directory or checkpoint directory) on 127.0.0.1.
 * `port` 0 picks a free port.
 *
 * @example
 * ```ts
 * const server = await startDemoServer("runs/synth-hourglass-tiny", { port: 8000 });
 * console.log(server.url);
 * ```
 */
export async function startDemoServer(
  checkpoint: string,
  options: { port?: number; which?: CheckpointPointer } = {},
): Promise<DemoServer> {
  const { meta, dir } = await demoMeta(checkpoint, options.which);
  const [html, js] = await Promise.all([Deno.readTextFile(here("index.html")), bundleDemo()]);
  const files: Record<string, () => Promise<BodyInit>> = {
    "/": () => Promise.resolve(html),
    "/index.html": () => Promise.resolve(html),
    "/app.js": () => Promise.resolve(js),
    "/checkpoint/meta.json": () => Promise.resolve(JSON.stringify(meta)),
    "/checkpoint/model.json": () => Deno.readFile(join(dir, "model.json")),
    "/checkpoint/weights.bin": () => Deno.readFile(join(dir, "weights.bin")),
  };
  const port = options.port ?? 0;
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, handler);
  } catch (e) {
    if (e instanceof Deno.errors.AddrInUse) {
      throw new KitError(`port ${port} on 127.0.0.1 is in use; pass --port with another (0: any)`);
    }
    throw e;
  }
  return {
    url: `http://127.0.0.1:${server.addr.port}/`,
    meta,
    stop: () => server.shutdown(),
  };

  async function handler(req: Request): Promise<Response> {
    const path = new URL(req.url).pathname;
    const get = files[path];
    if (!get) return new Response("not found", { status: 404 });
    const ext = path === "/" ? ".html" : path.slice(path.lastIndexOf("."));
    try {
      return new Response(await get(), {
        headers: { "content-type": TYPES[ext] ?? "application/octet-stream" },
      });
    } catch (e) {
      return new Response(`${path}: ${(e as Error).message}`, { status: 500 });
    }
  }
}
