/**
 * `deno task notebooks [--write] [name...]`: type-checks the notebooks' code cells, executes
 * every notebook under notebooks/ headless with the Deno kernel (jupyter nbconvert --execute),
 * and fails when a cell errors or a cell tagged `figure` shows no image. `--write` stores the
 * executed notebooks back in place so the committed copies carry the outputs of this run.
 *
 * @module
 */

import { basename, fromFileUrl, join } from "@std/path";
import { parseFlags, runMain } from "./args.ts";
import { KitError } from "../io/errors.ts";
import { formatDuration } from "../progress/progress.ts";

const USAGE = "usage: deno task notebooks [--write] [--timeout <s>] [notebook.ipynb ...]";

/** The parts of an nbformat v4 notebook the check reads. */
interface Notebook {
  cells: {
    cell_type: string;
    metadata?: { tags?: string[] };
    source: string | string[];
    outputs?: {
      output_type: string;
      data?: Record<string, unknown>;
      ename?: string;
      evalue?: string;
    }[];
  }[];
}

/** MIME types that count as a figure. */
const FIGURE_TYPES = ["image/png", "image/svg+xml", "application/vnd.vegalite.v5+json"];

/**
 * Lists the problems of an executed notebook: error outputs, and cells tagged `figure` with no
 * image output. Empty when the notebook is good.
 *
 * @example
 * ```ts
 * checkExecuted(JSON.parse(await Deno.readTextFile("out/01_data.ipynb")));
 * // ["cell 4: TypeError: ..."]
 * ```
 */
export function checkExecuted(nb: Notebook): string[] {
  const problems: string[] = [];
  nb.cells.forEach((cell, i) => {
    if (cell.cell_type !== "code") return;
    const outputs = cell.outputs ?? [];
    for (const o of outputs) {
      if (o.output_type === "error") problems.push(`cell ${i + 1}: ${o.ename}: ${o.evalue}`);
    }
    if (cell.metadata?.tags?.includes("figure")) {
      const hasFigure = outputs.some((o) => FIGURE_TYPES.some((t) => o.data?.[t] !== undefined));
      if (!hasFigure) {
        const src = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
        problems.push(`cell ${i + 1}: ${MISSING_FIGURE} (${src.slice(0, 60)}...)`);
      }
    }
  });
  return problems;
}

/**
 * The code cells of a notebook as one TypeScript module for `deno check`: the Deno kernel runs
 * cells without type checking, so a type error would otherwise surface only at run time.
 * Paths starting with `../` (the notebook's view of the repository root) are rewritten to
 * `rootUrl`, so the module type-checks from anywhere.
 *
 * @example
 * ```ts
 * notebookModule(nb, "file:///home/me/posekit/"); // '// cell 2\nimport { show } from "file:///home/me/posekit/lib/viz/mod.ts";...'
 * ```
 */
export function notebookModule(nb: Notebook, rootUrl: string): string {
  const root = rootUrl.endsWith("/") ? rootUrl : `${rootUrl}/`;
  // Each cell is headed by its number (as the run's messages count cells) to find errors.
  return nb.cells
    .flatMap((c, i) => {
      if (c.cell_type !== "code") return [];
      const src = Array.isArray(c.source) ? c.source.join("") : c.source;
      return [`// cell ${i + 1}\n${src}`];
    })
    .join("\n\n")
    .replace(/(["'`])\.\.\//g, `$1${root}`) + "\n";
}

/** Type-checks the notebooks' code cells in one `deno check` run; returns its error text. */
async function typeCheck(paths: readonly string[], tmp: string): Promise<string | null> {
  const rootUrl = new URL("../../", import.meta.url).href;
  const files: string[] = [];
  for (const path of paths) {
    const file = join(tmp, `${basename(path, ".ipynb")}.ts`);
    await Deno.writeTextFile(
      file,
      notebookModule(JSON.parse(await Deno.readTextFile(path)), rootUrl),
    );
    files.push(file);
  }
  const config = fromFileUrl(new URL("../../deno.json", import.meta.url));
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["check", "--quiet", "--config", config, ...files],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (out.success) return null;
  const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
  return text.split("\n").slice(0, 40).join("\n");
}

async function hasJupyter(): Promise<boolean> {
  try {
    const out = await new Deno.Command("jupyter", {
      args: ["nbconvert", "--version"],
      stdout: "null",
      stderr: "null",
    })
      .output();
    return out.success;
  } catch {
    return false;
  }
}

const MISSING_FIGURE = 'tagged "figure" but shows no image';

function isMissingFigure(problem: string): boolean {
  return problem.includes(MISSING_FIGURE);
}

/** Runs one notebook with nbconvert into `outDir`; lists what went wrong (empty when fine). */
async function execute(
  path: string,
  outDir: string,
  timeout: string,
): Promise<{ problems: string[] }> {
  console.log(`notebooks: running ${path}`);
  const run = await new Deno.Command("jupyter", {
    args: [
      "nbconvert",
      "--to",
      "notebook",
      "--execute",
      `--ExecutePreprocessor.timeout=${timeout}`,
      "--ExecutePreprocessor.kernel_name=deno",
      "--output-dir",
      outDir,
      path,
    ],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!run.success) {
    const err = new TextDecoder().decode(run.stderr).split("\n").slice(-25).join("\n");
    return { problems: [`nbconvert failed:\n${err}`] };
  }
  return {
    problems: checkExecuted(JSON.parse(await Deno.readTextFile(join(outDir, basename(path))))),
  };
}

async function main(args: string[]): Promise<void> {
  const flags = parseFlags(args, { boolean: ["write"], string: ["timeout"] }, USAGE);
  const dir = "notebooks";
  const names = flags._.length > 0
    ? flags._
    : [...Deno.readDirSync(dir)].filter((e) => e.isFile && e.name.endsWith(".ipynb"))
      .map((e) => join(dir, e.name)).sort();
  if (names.length === 0) {
    console.log("notebooks: none under notebooks/");
    return;
  }
  if (!(await hasJupyter())) {
    throw new KitError(
      "jupyter nbconvert not found: install it (Debian: apt-get install jupyter-nbconvert " +
        "python3-nbclient) and the Deno kernel (deno jupyter --install)",
    );
  }
  const outDir = await Deno.makeTempDir({ prefix: "kit-notebooks-" });
  const allStart = performance.now();
  const typeErrors = await typeCheck(names, outDir);
  if (typeErrors) {
    throw new KitError(`the notebooks' code does not type-check:\n${typeErrors}`);
  }
  console.log(`notebooks: code cells type-check (${names.length} notebook(s))`);
  const timeout = String(flags.timeout ?? "900");
  let failed = 0;
  for (const path of names) {
    const start = performance.now();
    let result = await execute(path, outDir, timeout);
    // The Deno kernel can publish a display after the cell's end, and nbconvert then drops it
    // (lib/viz's `show` pauses to prevent it). A figure missing for that reason comes back on
    // a second run; a figure that is really missing or an error does not.
    if (result.problems.length > 0 && result.problems.every(isMissingFigure)) {
      console.log(`notebooks: ${path}: ${result.problems.join("; ")}; running it once more`);
      result = await execute(path, outDir, timeout);
    }
    const took = formatDuration((performance.now() - start) / 1000);
    if (result.problems.length > 0) {
      failed++;
      console.error(`notebooks: FAILED ${path} after ${took}\n  ${result.problems.join("\n  ")}`);
      continue;
    }
    console.log(`notebooks: ok ${path} (${took})`);
    if (flags.write) await Deno.copyFile(join(outDir, basename(path)), path);
  }
  const total = formatDuration((performance.now() - allStart) / 1000);
  if (failed > 0) throw new KitError(`${failed} of ${names.length} notebook(s) failed (${total})`);
  console.log(`notebooks: all ${names.length} ok in ${total}`);
}

if (import.meta.main) await runMain(() => main(Deno.args));
