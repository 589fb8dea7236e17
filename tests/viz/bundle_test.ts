import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import {
  barChartSpec,
  displayPauseMs,
  encodeBase64,
  FONT_CANDIDATES,
  lineChartSpec,
  markdownBundle,
  markdownTable,
  pngBundle,
  renderSvg,
  structureGroupsSpec,
  vegaLiteBundle,
} from "../../lib/viz/mod.ts";

Deno.test("a vega-lite bundle carries the v5 spec, an SVG rendering of it and that SVG as PNG", async () => {
  const spec = lineChartSpec([{ x: 0, y: 1, series: "train" }, { x: 1, y: 0.5, series: "train" }], {
    title: "Loss",
    xTitle: "step",
    yTitle: "loss",
  });
  const bundle = await vegaLiteBundle(spec);
  const vl = bundle["application/vnd.vegalite.v5+json"] as { $schema: string };
  assertEquals(vl.$schema, "https://vega.github.io/schema/vega-lite/v5.json");
  const svg = bundle["image/svg+xml"] as string;
  assertEquals(svg.startsWith("<svg"), true);
  assertStringIncludes(svg, "Loss");
  assertStringIncludes(svg, "step");
  // The PNG is what an untrusted classic Notebook and GitHub show; it needs a system font.
  const hasFont = FONT_CANDIDATES.some((set) => set.some((f) => exists(f)));
  if (hasFont) {
    const png = Uint8Array.from(atob(bundle["image/png"] as string), (c) => c.charCodeAt(0));
    assertEquals(Array.from(png.subarray(0, 4)), [0x89, 0x50, 0x4e, 0x47]);
    assert(png.length > 2000, `a ${png.length}-byte PNG is too small to hold the chart`);
  } else {
    assertEquals(bundle["image/png"], undefined);
  }
  assertEquals(bundle["text/plain"], "Loss");
});

Deno.test("grouped bars keep the categories in the given order and show a legend", async () => {
  const spec = barChartSpec(
    [
      { category: "Head", value: 90, group: "visible" },
      { category: "Ankle", value: 60, group: "visible" },
      { category: "Head", value: 70, group: "occluded" },
    ],
    { title: "PCKh@0.5", xTitle: "part", yTitle: "PCKh (%)", seriesTitle: "joints" },
  );
  const enc = (spec as { encoding: { x: { sort: string[] } } }).encoding;
  assertEquals(enc.x.sort, ["Head", "Ankle"]);
  assertStringIncludes(await renderSvg(spec), "joints");
});

Deno.test("the structure-group figure has one panel per keypoint", async () => {
  const svg = await renderSvg(structureGroupsSpec());
  for (const name of ["00 r_ankle", "09 head_top", "15 l_wrist"]) assertStringIncludes(svg, name);
});

Deno.test("PNG bundles are base64 and markdown tables have a header rule", () => {
  assertEquals(encodeBase64(new Uint8Array([104, 105])), "aGk=");
  assertEquals(pngBundle(new Uint8Array([1, 2, 3]), "x")["image/png"], "AQID");
  assertEquals(markdownTable(["a", "b"], [["1", "2"]]), "| a | b |\n| --- | --- |\n| 1 | 2 |");
  // "PCKh@0.5" would be autolinked as an e-mail address; "a|b" would split the cell.
  assertEquals(markdownTable(["x"], [["PCKh@0.5"], ["a|b"]]).split("\n").slice(2), [
    "| PCKh\\@0.5 |",
    "| a\\|b |",
  ]);
});

Deno.test("a markdown bundle shows the same text as markdown and as plain text", () => {
  assertEquals(markdownBundle("| a |"), { "text/markdown": "| a |", "text/plain": "| a |" });
});

Deno.test("show pauses longer after larger bundles", () => {
  assertEquals(displayPauseMs({ "text/plain": "x" }), 40);
  assertEquals(displayPauseMs({ "image/svg+xml": "x".repeat(1_000_000) }), 100);
});

Deno.test("series and groups keep their given order, and many series get distinct colours", () => {
  type Enc = { encoding: { color: { scale: { domain: string[]; scheme?: string } } } };
  const bars = barChartSpec([
    { category: "a", value: 1, group: "own" },
    { category: "a", value: 2, group: "group" },
  ], { title: "t", xTitle: "x", yTitle: "y" }) as unknown as Enc;
  assertEquals(bars.encoding.color.scale.domain, ["own", "group"]);
  const many = Array.from({ length: 16 }, (_, i) => ({ x: 0, y: i, series: `s${15 - i}` }));
  const lines = lineChartSpec(many, { title: "t", xTitle: "x", yTitle: "y" }) as unknown as Enc;
  assertEquals(lines.encoding.color.scale.domain[0], "s15");
  assertEquals(lines.encoding.color.scale.scheme, "tableau20");
});

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}
