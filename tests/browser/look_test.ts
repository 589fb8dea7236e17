import { assertEquals, assertStringIncludes } from "@std/assert";
import { type CellLook, judgeNotebook, type OutputLook } from "../../lib/browser/look.ts";

const SVG_BUNDLE = ["application/vnd.vegalite.v5+json", "image/svg+xml", "text/plain"];

function output(over: Partial<OutputLook> = {}): OutputLook {
  return {
    index: 0,
    outputType: "display_data",
    mimes: SVG_BUNDLE,
    title: "Loss per step",
    text: "",
    svgs: 1,
    imgs: 0,
    brokenImages: [],
    tables: 0,
    mailto: [],
    ...over,
  };
}

function cell(outputs: OutputLook[], over: Partial<CellLook> = {}): CellLook {
  return {
    index: 3,
    type: "code",
    executionCount: 2,
    unrendered: false,
    mailto: [],
    outputs,
    domOutputs: outputs.length,
    ...over,
  };
}

Deno.test("a trusted notebook whose figures are drawn passes", () => {
  const v = judgeNotebook("a.ipynb", { trusted: true, cells: [cell([output()])] });
  assertEquals(v.problems, []);
  assertEquals([v.figures, v.drawn, v.titleOnly], [1, 1, 0]);
});

Deno.test("an undrawn figure in a trusted notebook names the notebook, cell and what shows", () => {
  const v = judgeNotebook("a.ipynb", {
    trusted: true,
    cells: [cell([output({ svgs: 0, text: "Loss per step" })])],
  });
  assertEquals(v.problems.map((p) => p.message), [
    'a.ipynb cell 3 (In [2]) output 0: figure "Loss per step" not drawn: the reader sees only "Loss per step"',
  ]);
});

Deno.test("untrusted, an SVG figure showing its title is what classic Notebook does, a PNG must draw", () => {
  const titleOnly = output({ svgs: 0, text: "Loss per step" });
  const png = output({ index: 1, mimes: ["image/png", "text/plain"], svgs: 0, text: "x" });
  const v = judgeNotebook("a.ipynb", { trusted: false, cells: [cell([titleOnly, png])] });
  assertEquals(v.titleOnly, 1);
  assertEquals(v.problems.length, 1);
  assertStringIncludes(v.problems[0]!.message, "a.ipynb cell 3 (In [2]) output 1: figure");
});

Deno.test("error outputs, stderr, raw object text and broken images each fail", () => {
  const v = judgeNotebook("b.ipynb", {
    trusted: true,
    cells: [cell([
      output({ outputType: "error", mimes: [], ename: "TypeError", evalue: "boom\nat x" }),
      output({ index: 1, outputType: "stream", mimes: [], streamName: "stderr", title: "warn" }),
      output({
        index: 2,
        outputType: "execute_result",
        mimes: ["text/plain"],
        text: "[object Object]",
      }),
      output({ index: 3, brokenImages: ["<image> in SVG data:image/png;base64,AAAA"] }),
    ])],
  });
  assertEquals(v.problems.map((p) => p.message), [
    "b.ipynb cell 3 (In [2]) output 0: error output TypeError: boom",
    'b.ipynb cell 3 (In [2]) output 1: stderr text "warn"',
    'b.ipynb cell 3 (In [2]) output 2: shows raw "[object Object]" text: "[object Object]"',
    "b.ipynb cell 3 (In [2]) output 3: image not decoded: <image> in SVG data:image/png;base64,AAAA",
  ]);
});

Deno.test("markdown tables must render as tables, and e-mail autolinks fail in outputs, warn in prose", () => {
  const md = "| model | PCKh\\@0.5 |\n| --- | --- |\n| hg | 80 |";
  const v = judgeNotebook("c.ipynb", {
    trusted: true,
    cells: [
      cell([output({ mimes: ["text/markdown", "text/plain"], markdown: md, svgs: 0, text: md })]),
      cell([output({ mimes: ["text/markdown"], markdown: md, svgs: 0, tables: 1 })], {
        index: 4,
        executionCount: 3,
      }),
      cell([], { index: 5, type: "markdown", executionCount: null, mailto: ["PCKh@0.5"] }),
      cell([output({ mimes: ["text/markdown"], svgs: 0, tables: 1, mailto: ["PCKh@0.5"] })], {
        index: 6,
        executionCount: 4,
      }),
    ],
  });
  assertEquals(v.problems.map((p) => p.message), [
    `c.ipynb cell 3 (In [2]) output 0: markdown table shown as text: "| model | PCKh\\@0.5 |"`,
    'c.ipynb cell 6 (In [4]) output 0: "PCKh@0.5" is rendered as an e-mail link',
  ]);
  assertEquals(v.warnings.map((p) => p.message), [
    'c.ipynb cell 5: "PCKh@0.5" in the text is rendered as an e-mail link',
  ]);
});

Deno.test("outputs in the file but missing from the page fail", () => {
  const v = judgeNotebook("d.ipynb", {
    trusted: true,
    cells: [cell([output()], { domOutputs: 0 })],
  });
  assertEquals(v.problems.map((p) => p.message), [
    "d.ipynb cell 3 (In [2]): 1 outputs in the file, 0 shown",
  ]);
});
