/**
 * What a reader sees in a notebook opened in classic Jupyter Notebook: a probe that runs in the
 * page and records, per output, what it holds (MIME types) and what the page drew (SVGs,
 * decoded images, tables, text), and a pure judge that turns that into problems named by
 * notebook, cell and output.
 *
 * @module
 */

/** MIME types of outputs that are figures: something must be drawn for them. */
export const FIGURE_MIMES = [
  "application/vnd.vegalite.v5+json",
  "image/svg+xml",
  "image/png",
  "image/jpeg",
];

/** MIME types classic Notebook draws even in an untrusted notebook. */
export const SAFE_FIGURE_MIMES = ["image/png", "image/jpeg"];

/** Text that means a value was printed instead of shown. */
export const RAW_TEXT_MARKERS = ["<IPython", "[object Object]", "Promise {"];

/** One output as the page shows it. */
export interface OutputLook {
  readonly index: number;
  readonly outputType: string;
  readonly mimes: readonly string[];
  /** The output's text/plain (a figure's title), or a stream's text. */
  readonly title: string;
  readonly streamName?: string;
  readonly ename?: string;
  readonly evalue?: string;
  /** Visible text of the drawn output (first 2,000 characters). */
  readonly text: string;
  /** Visible top-level SVG elements. */
  readonly svgs: number;
  /** Visible, decoded `<img>` elements. */
  readonly imgs: number;
  /** Images (`<img>` or SVG `<image>`) the browser could not decode. */
  readonly brokenImages: readonly string[];
  readonly tables: number;
  /** Texts the renderer turned into e-mail links (e.g. "PCKh@0.5"). */
  readonly mailto: readonly string[];
  readonly markdown?: string;
}

/** One cell as the page shows it. */
export interface CellLook {
  readonly index: number;
  readonly type: string;
  readonly executionCount: number | null;
  /** A markdown cell left as source (not rendered). */
  readonly unrendered: boolean;
  /** Texts of a markdown cell the renderer turned into e-mail links. */
  readonly mailto: readonly string[];
  readonly outputs: readonly OutputLook[];
  /** Output areas the page made for the cell. */
  readonly domOutputs: number;
}

/** The probe's result for one notebook. */
export interface NotebookLook {
  readonly trusted: boolean;
  readonly cells: readonly CellLook[];
}

/**
 * Runs in the notebook page (classic Notebook 6's `Jupyter.notebook`); serialised with
 * `toString`, so it uses nothing from outside its body.
 */
// The probe runs in the page, whose DOM types Deno does not declare.
// deno-lint-ignore no-explicit-any
type El = any;

async function probe(): Promise<NotebookLook> {
  // deno-lint-ignore no-explicit-any
  const nb = (globalThis as any).Jupyter.notebook;
  const visible = (e: El) => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const join = (v: unknown) => Array.isArray(v) ? v.join("") : typeof v === "string" ? v : "";
  const mailtoOf = (e: El): string[] =>
    e ? (Array.from(e.querySelectorAll('a[href^="mailto:"]')) as El[]).map((a) => a.innerText) : [];
  const cells: CellLook[] = [];
  // deno-lint-ignore no-explicit-any
  const all: any[] = nb.get_cells();
  for (let i = 0; i < all.length; i++) {
    const c = all[i];
    const outputs: OutputLook[] = [];
    let domOutputs = 0;
    if (c.cell_type === "code") {
      const root: El = c.output_area.element[0];
      const areas: El[] = Array.from(root.querySelectorAll(":scope > .output_area"));
      domOutputs = areas.length;
      // deno-lint-ignore no-explicit-any
      const raw: any[] = c.output_area.outputs;
      for (let k = 0; k < raw.length; k++) {
        const o = raw[k];
        const data = (o.data ?? {}) as Record<string, unknown>;
        const el: El = areas[k];
        const sub: El = el?.querySelector(".output_subarea") ?? el;
        const brokenImages: string[] = [];
        let imgs = 0;
        let svgs = 0;
        if (sub) {
          for (const img of Array.from(sub.querySelectorAll("img")) as El[]) {
            try {
              await img.decode();
            } catch {
              brokenImages.push(`<img> ${img.src.slice(0, 40)}`);
            }
            if (img.naturalWidth > 0 && visible(img)) imgs++;
          }
          for (const im of Array.from(sub.querySelectorAll("svg image")) as El[]) {
            const href = im.getAttribute("href") ?? im.getAttribute("xlink:href") ?? "";
            const t: El = new (globalThis as El).Image();
            t.src = href;
            try {
              await t.decode();
            } catch {
              brokenImages.push(`<image> in SVG ${href.slice(0, 40)}`);
            }
          }
          svgs = (Array.from(sub.querySelectorAll("svg")) as El[])
            .filter((s) => !s.parentElement?.closest("svg") && visible(s)).length;
        }
        outputs.push({
          index: k,
          outputType: o.output_type,
          mimes: Object.keys(data),
          title: o.output_type === "stream" ? join(o.text) : join(data["text/plain"]),
          ...(o.name ? { streamName: o.name } : {}),
          ...(o.ename ? { ename: o.ename, evalue: o.evalue } : {}),
          text: sub?.innerText.slice(0, 2000) ?? "",
          svgs,
          imgs,
          brokenImages,
          tables: sub?.querySelectorAll("table").length ?? 0,
          mailto: mailtoOf(sub),
          ...(data["text/markdown"] ? { markdown: join(data["text/markdown"]) } : {}),
        });
      }
    }
    cells.push({
      index: i,
      type: c.cell_type,
      executionCount: c.cell_type === "code" ? (c.input_prompt_number ?? null) : null,
      unrendered: c.cell_type === "markdown" && !c.rendered,
      mailto: c.cell_type === "markdown" ? mailtoOf(c.element[0]) : [],
      outputs,
      domOutputs,
    });
  }
  return { trusted: Boolean(nb.trusted), cells };
}

/** The probe as an expression for `Page.evaluate`. */
export const PROBE_EXPRESSION = `(${probe.toString()})()`;

/** One thing a reader would see wrong. */
export interface Problem {
  readonly notebook: string;
  readonly cell: number;
  readonly output?: number;
  readonly message: string;
}

/** The judgement of one notebook. */
export interface Verdict {
  /** What fails the check. */
  readonly problems: Problem[];
  /** What looks wrong in the notebook's own markdown cells (prose, not kit output). */
  readonly warnings: Problem[];
  readonly figures: number;
  readonly drawn: number;
  /** Figures an untrusted notebook shows as their title text only. */
  readonly titleOnly: number;
}

/** Names a place for messages: `05_evaluation.ipynb cell 4 (In [3]) output 1`. */
export function where(notebook: string, cell: CellLook, output?: number): string {
  const prompt = cell.executionCount !== null ? ` (In [${cell.executionCount}])` : "";
  return `${notebook} cell ${cell.index}${prompt}${
    output !== undefined ? ` output ${output}` : ""
  }`;
}

function firstLine(s: string, max = 120): string {
  const line = s.trim().split("\n")[0] ?? "";
  return line.length > max ? `${line.slice(0, max)}...` : line;
}

/** A markdown table: a line of cells followed by a `|---|` rule. */
function hasMarkdownTable(md: string): boolean {
  return /^\s*\|.*\|\s*\n\s*\|[\s:|-]+\|\s*$/m.test(md);
}

/**
 * Judges a notebook's look. Trusted: every figure output must be drawn (a visible SVG or a
 * decoded image) and every markdown table rendered as a table. Untrusted: classic Notebook
 * draws only PNG/JPEG, so a figure without one must show its title text (what the reader
 * sees), and the count of such figures is returned as `titleOnly`. Always: no error outputs,
 * no stderr, no raw `[object Object]`/`<IPython...>` text, every image decodes, every output
 * in the file appears, every markdown cell rendered, no text turned into an e-mail link (kit
 * output fails; the notebook's own markdown cells only warn).
 *
 * @example
 * ```ts
 * const { problems } = judgeNotebook("01_data.ipynb", look);
 * for (const p of problems) console.log(p.message);
 * ```
 */
export function judgeNotebook(notebook: string, look: NotebookLook): Verdict {
  const problems: Problem[] = [];
  const warnings: Problem[] = [];
  let figures = 0;
  let drawn = 0;
  let titleOnly = 0;
  const add = (cell: CellLook, output: number | undefined, what: string, to = problems) =>
    to.push({
      notebook,
      cell: cell.index,
      ...(output !== undefined ? { output } : {}),
      message: `${where(notebook, cell, output)}: ${what}`,
    });
  for (const cell of look.cells) {
    if (cell.unrendered) add(cell, undefined, "markdown cell shown as source, not rendered");
    for (const t of cell.mailto) {
      add(cell, undefined, `"${t}" in the text is rendered as an e-mail link`, warnings);
    }
    if (cell.type === "code" && cell.domOutputs !== cell.outputs.length) {
      add(cell, undefined, `${cell.outputs.length} outputs in the file, ${cell.domOutputs} shown`);
    }
    for (const o of cell.outputs) {
      if (o.outputType === "error") {
        add(cell, o.index, `error output ${o.ename}: ${firstLine(o.evalue ?? "")}`);
      }
      if (o.streamName === "stderr") add(cell, o.index, `stderr text "${firstLine(o.title)}"`);
      for (const marker of RAW_TEXT_MARKERS) {
        if (o.text.includes(marker)) {
          add(cell, o.index, `shows raw "${marker}" text: "${firstLine(o.text)}"`);
        }
      }
      for (const b of o.brokenImages) add(cell, o.index, `image not decoded: ${b}`);
      for (const t of o.mailto) add(cell, o.index, `"${t}" is rendered as an e-mail link`);
      if (o.mimes.some((m) => FIGURE_MIMES.includes(m))) {
        figures++;
        const isDrawn = o.svgs + o.imgs > 0;
        if (isDrawn) drawn++;
        else if (!look.trusted && !o.mimes.some((m) => SAFE_FIGURE_MIMES.includes(m))) {
          titleOnly++;
          if (!o.text.includes(firstLine(o.title, 1e6))) {
            add(cell, o.index, `figure not drawn and its title not shown: "${firstLine(o.text)}"`);
          }
        } else {
          add(
            cell,
            o.index,
            `figure "${firstLine(o.title)}" not drawn: the reader sees only "${firstLine(o.text)}"`,
          );
        }
      }
      if (look.trusted && o.markdown && hasMarkdownTable(o.markdown) && o.tables === 0) {
        add(cell, o.index, `markdown table shown as text: "${firstLine(o.text)}"`);
      }
    }
  }
  return { problems, warnings, figures, drawn, titleOnly };
}
