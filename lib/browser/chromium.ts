/**
 * Headless Chromium driven over the DevTools protocol (CDP) from Deno: what `deno task
 * browser-check` and the demo's test use to look at pages the way a person does. The system's
 * `chromium` (Debian's package) is started with a fresh profile; nothing is downloaded. The tab
 * itself (`Page`) is in `page.ts`.
 *
 * @module
 */

import { KitError } from "../io/errors.ts";
import { Connection, Page, within } from "./page.ts";

/** Where Chromium is looked for when `CHROMIUM` is not set. */
export const CHROMIUM_PATHS = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];

/**
 * Flags for a quiet, reproducible headless run: no sandbox (containers, root), no GPU (the
 * pages are drawn by the CPU), and nothing that talks to the network on its own.
 */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
  "--hide-scrollbars",
  "--mute-audio",
];

/** A running headless Chromium. */
export interface Browser {
  /** A new tab with its console and exceptions recorded. */
  newPage(): Promise<Page>;
  /** Closes the browser and removes its profile, whatever state it is in. */
  close(): Promise<void>;
}

/**
 * The Chromium executable: `$CHROMIUM`, else Debian's. A KitError says how to install it.
 *
 * @example
 * ```ts
 * findChromium(); // "/usr/bin/chromium"
 * ```
 */
export function findChromium(): string {
  const fromEnv = Deno.env.get("CHROMIUM");
  for (const p of fromEnv ? [fromEnv] : CHROMIUM_PATHS) {
    try {
      if (Deno.statSync(p).isFile) return p;
    } catch { /* next */ }
  }
  throw new KitError(
    fromEnv
      ? `CHROMIUM=${fromEnv}: no such file`
      : `no Chromium found (looked at ${
        CHROMIUM_PATHS.join(", ")
      }); install it: apt-get install chromium, or set CHROMIUM to its path`,
  );
}

/** Reads lines of a stream until one matches `re`; returns the match or the text read. */
async function readUntil(
  stream: ReadableStream<Uint8Array>,
  re: RegExp,
  timeoutMs: number,
): Promise<{ match?: RegExpMatchArray; text: string }> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const end = Date.now() + timeoutMs;
  try {
    while (true) {
      const r = await within(reader.read(), Math.max(0, end - Date.now()));
      if (r === "timeout" || r.done) return { text };
      text += r.value;
      const match = text.match(re);
      if (match) {
        // Keep draining so Chromium never blocks on a full stderr pipe.
        (async () => {
          try {
            while (!(await reader.read()).done) { /* drop */ }
          } catch { /* closed */ }
        })();
        return { match, text };
      }
    }
  } catch {
    return { text };
  }
}

/**
 * Starts headless Chromium with a fresh profile in a temporary folder and connects to it.
 * Always `close()` it (in a `finally`).
 *
 * @example
 * ```ts
 * const browser = await launchChromium();
 * try {
 *   const page = await browser.newPage();
 *   await page.goto("http://127.0.0.1:8000/");
 * } finally {
 *   await browser.close();
 * }
 * ```
 */
export async function launchChromium(
  options: { width?: number; height?: number } = {},
): Promise<Browser> {
  const exe = findChromium();
  const profile = await Deno.makeTempDir({ prefix: "posekit-chromium-" });
  const child = new Deno.Command(exe, {
    args: [
      ...CHROMIUM_FLAGS,
      `--user-data-dir=${profile}`,
      "--remote-debugging-port=0",
      `--window-size=${options.width ?? 1280},${options.height ?? 900}`,
      "about:blank",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let conn: Connection | undefined;
  const close = async () => {
    try {
      if (conn) await within(conn.send("Browser.close").catch(() => {}), 3000);
    } finally {
      conn?.close();
      if ((await within(child.status, 5000)) === "timeout") {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
        await child.status;
      }
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    }
  };
  try {
    const { match, text } = await readUntil(
      child.stderr,
      /DevTools listening on (ws:\/\/\S+)/,
      30_000,
    );
    if (!match) {
      throw new KitError(`${exe} did not start: ${text.trim().split("\n").slice(-5).join(" | ")}`);
    }
    conn = await Connection.open(match[1]!);
  } catch (e) {
    await close();
    throw e;
  }
  const c = conn;
  return {
    async newPage() {
      const t = await c.send("Target.createTarget", { url: "about:blank" });
      const a = await c.send("Target.attachToTarget", { targetId: t.targetId, flatten: true });
      const page = new Page(c, String(a.sessionId), String(t.targetId));
      await page.send("Page.enable");
      await page.send("Runtime.enable");
      await page.setViewport(options.width ?? 1280, options.height ?? 900);
      return page;
    },
    close,
  };
}
