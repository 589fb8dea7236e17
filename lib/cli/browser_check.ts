/**
 * `deno task browser-check`: opens every committed notebook in classic Jupyter Notebook in
 * headless Chromium, the way a reader does, and checks what the page shows: every figure drawn,
 * no error outputs, no raw `[object Object]` or `<IPython...>` text, every image decoded, every
 * markdown table rendered. A full-page screenshot of each notebook goes to `--out`.
 *
 * Classic Notebook draws SVG, vega-lite and markdown only in a trusted notebook, and a fresh
 * clone's notebooks are untrusted; so by default the check trusts copies of the notebooks (in
 * its own trust database, as `jupyter trust` does) and looks at what a reader sees after
 * trusting. `--untrusted` looks at them as first opened: figures show their titles only.
 *
 * @module
 */

import { basename, join, resolve } from "@std/path";
import { type Browser, launchChromium } from "../browser/chromium.ts";
import {
  kernelNames,
  type NotebookServer,
  startNotebookServer,
  trustNotebooks,
} from "../browser/jupyter.ts";
import { judgeNotebook, type NotebookLook, PROBE_EXPRESSION } from "../browser/look.ts";
import { KitError } from "../io/errors.ts";
import { parseFlags, runMain } from "./args.ts";

const USAGE = `usage: deno task browser-check [--out <dir>] [--untrusted] [<notebook.ipynb> ...]

  Starts jupyter notebook on 127.0.0.1 (with a token) on a copy of the notebooks, opens each
  in headless Chromium, checks what a reader sees and saves <out>/<notebook>.png (a full-page
  screenshot). Default: every notebooks/*.ipynb, --out runs/browser-check.
  --untrusted  look without trusting the notebooks first (what a fresh clone shows in classic
               Notebook: figures and markdown tables as their text only).
  Needs: apt-get install chromium jupyter-notebook; deno jupyter --install.`;

/** Height cap of a screenshot, CSS pixels (Chromium's capture limit is 16,384). */
const MAX_SCREENSHOT_HEIGHT = 16_000;
const PAGE_WIDTH = 1280;
/** True once MathJax (2, as classic Notebook loads it) has typeset and hidden its message. */
const MATHJAX_DONE = `(() => {
  const mj = window.MathJax;
  if (!mj || !mj.Hub || !mj.Hub.queue) return false;
  const msg = document.getElementById('MathJax_Message');
  const hidden = !msg || msg.style.display === 'none' || msg.innerText.trim() === '';
  return mj.Hub.queue.pending === 0 && !mj.Hub.queue.running && hidden;
})()`;

/** Opens one notebook, judges it, saves its screenshot; returns its problems. */
async function lookAt(
  browser: Browser,
  server: NotebookServer,
  name: string,
  outDir: string,
  expectTrusted: boolean,
): Promise<{ problems: string[]; summary: string }> {
  const page = await browser.newPage();
  try {
    await page.goto(server.notebookUrl(name), 60_000);
    await page.waitFor(
      "window.Jupyter && Jupyter.notebook && Jupyter.notebook._fully_loaded",
      `${name}: the notebook page did not finish loading`,
      60_000,
    );
    const problems: string[] = [];
    // MathJax typesets after the page loads; until it ends its "Loading [MathJax]..." box is on
    // the page (and would be in the screenshot).
    await page.waitFor(MATHJAX_DONE, "MathJax did not finish", 20_000).catch((e) =>
      console.log(`  warning: ${name}: ${(e as Error).message}`)
    );
    // A modal (kernel not found, notebook invalid) is the first thing a reader would see.
    const modal = await page.evaluate<string | null>(
      `(() => { const m = document.querySelector('.modal.in .modal-body');
         return m ? m.innerText.trim() : null; })()`,
    );
    if (modal) problems.push(`${name}: the page opens with a dialog: "${modal.slice(0, 300)}"`);
    const look = await page.evaluate<NotebookLook>(PROBE_EXPRESSION);
    if (look.trusted !== expectTrusted) {
      problems.push(
        `${name}: the notebook is ${look.trusted ? "trusted" : "not trusted"}, expected ${
          expectTrusted ? "trusted (jupyter trust did not take)" : "untrusted"
        }`,
      );
    }
    const verdict = judgeNotebook(name, look);
    problems.push(...verdict.problems.map((p) => p.message));
    for (const w of verdict.warnings) console.log(`  warning: ${w.message}`);
    for (const m of page.messages.filter((m) => m.kind === "exception")) {
      problems.push(`${name}: the page threw "${m.text.split("\n")[0]}"`);
    }
    await saveScreenshot(page, join(outDir, name.replace(/\.ipynb$/, ".png")));
    const summary = look.trusted
      ? `${verdict.drawn}/${verdict.figures} figures drawn`
      : `${verdict.drawn}/${verdict.figures} figures drawn, ${verdict.titleOnly} show their title only (untrusted)`;
    return { problems, summary };
  } finally {
    await page.close();
    await server.shutdownKernels();
  }
}

/** A screenshot of the whole notebook: the page is unscrolled to its full height first. */
async function saveScreenshot(
  page: Awaited<ReturnType<Browser["newPage"]>>,
  path: string,
): Promise<void> {
  // Classic Notebook scrolls inside #site; let it grow so the document holds every cell.
  const height = await page.evaluate<number>(`(() => {
    const site = document.getElementById('site');
    if (site) { site.style.height = 'auto'; site.style.overflow = 'visible'; }
    document.body.style.overflow = 'visible';
    document.body.style.height = 'auto';
    return Math.ceil(document.documentElement.scrollHeight);
  })()`);
  const png = await page.screenshot({
    x: 0,
    y: 0,
    width: PAGE_WIDTH,
    height: Math.min(height, MAX_SCREENSHOT_HEIGHT),
  });
  await Deno.writeFile(path, png);
}

/** notebooks/*.ipynb, sorted. */
function committedNotebooks(): string[] {
  try {
    return [...Deno.readDirSync("notebooks")].filter((e) => e.isFile && e.name.endsWith(".ipynb"))
      .map((e) => join("notebooks", e.name)).sort();
  } catch (e) {
    throw new KitError(
      `notebooks/: cannot list (${(e as Error).message}); run from the kit's root`,
    );
  }
}

async function main(args: string[]): Promise<void> {
  const flags = parseFlags(args, { string: ["out"], boolean: ["untrusted"] }, USAGE);
  const outDir = resolve((flags.out as string | undefined) ?? join("runs", "browser-check"));
  const paths = flags._.length > 0 ? flags._ : committedNotebooks();
  if (paths.length === 0) throw new KitError("no notebooks given and none under notebooks/");
  const trusted = !flags.untrusted;
  await Deno.mkdir(outDir, { recursive: true });
  // The server serves copies: opening a notebook never rewrites or checkpoints the committed one.
  const work = await Deno.makeTempDir({ prefix: "posekit-browser-check-" });
  const root = join(work, "notebooks");
  const state = join(work, "state");
  await Deno.mkdir(root);
  await Deno.mkdir(state);
  const names = paths.map((p) => basename(p));
  for (const p of paths) {
    try {
      await Deno.copyFile(p, join(root, basename(p)));
    } catch (e) {
      throw new KitError(`${p}: cannot read (${(e as Error).message})`);
    }
  }
  let server: NotebookServer | undefined;
  let browser: Browser | undefined;
  const cleanup = async () => {
    await browser?.close().catch(() => {});
    await server?.stop().catch(() => {});
    await Deno.remove(work, { recursive: true }).catch(() => {});
  };
  // Ctrl-C stops the server and the browser this run started before exiting.
  const onSignal = () => {
    console.error("browser-check: interrupted, stopping jupyter and chromium");
    cleanup().finally(() => Deno.exit(130));
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  const failures: string[] = [];
  try {
    if (trusted) await trustNotebooks(names.map((n) => join(root, n)), state);
    const start = performance.now();
    server = await startNotebookServer(root, state);
    const kernels = await kernelNames(server);
    if (!kernels.includes("deno")) {
      throw new KitError(
        `Jupyter has no Deno kernel (it has: ${kernels.join(", ") || "none"}); a reader would ` +
          `see "Kernel not found". Install it: deno jupyter --install`,
      );
    }
    browser = await launchChromium({ width: PAGE_WIDTH });
    console.log(
      `browser-check: jupyter notebook at ${server.url}, chromium headless, ${names.length} ` +
        `notebook(s), ${trusted ? "trusted" : "untrusted"}; screenshots in ${outDir}`,
    );
    for (const name of names) {
      const t = performance.now();
      const { problems, summary } = await lookAt(browser, server, name, outDir, trusted);
      const took = ((performance.now() - t) / 1000).toFixed(1);
      console.log(
        `browser-check: ${name}: ${
          problems.length === 0 ? "ok" : "FAILED"
        }, ${summary} (${took} s)`,
      );
      for (const p of problems) console.log(`  ${p}`);
      failures.push(...problems);
    }
    console.log(
      `browser-check: ${names.length} notebook(s) in ${
        ((performance.now() - start) / 1000).toFixed(0)
      } s`,
    );
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
    await cleanup();
  }
  if (failures.length > 0) {
    throw new KitError(
      `${failures.length} problem(s) a reader would see (screenshots in ${outDir}):\n  ${
        failures.join("\n  ")
      }`,
    );
  }
}

if (import.meta.main) await runMain(() => main(Deno.args));
