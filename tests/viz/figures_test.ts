import { assert, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { decodePng } from "image-js";
import { J, type Keypoint, NUM_JOINTS } from "../../lib/skeleton/mod.ts";
import {
  imageDataUrl,
  imageGridSpec,
  matrixSpec,
  pckCurvesSpec,
  pngDataUrl,
  poseGallerySpec,
  renderSvg,
  vegaLiteBundle,
} from "../../lib/viz/mod.ts";

const solid = (w: number, h: number, v: number) => ({
  width: w,
  height: h,
  data: new Uint8Array(w * h * 3).fill(v),
});
const count = (s: string, sub: string) => s.split(sub).length - 1;
type Rows = { data: { values: Record<string, unknown>[] } };

Deno.test("a PNG data URL decodes back to the image's pixels", () => {
  const img = { width: 2, height: 1, data: new Uint8Array([255, 0, 0, 0, 0, 255]) };
  const url = pngDataUrl(img);
  assert(url.startsWith("data:image/png;base64,"));
  const bytes = Uint8Array.from(atob(url.slice(url.indexOf(",") + 1)), (c) => c.charCodeAt(0));
  assertEquals(Array.from(decodePng(bytes).getRawImage().data), Array.from(img.data));
});

Deno.test("an image grid embeds each image once, with headers in first-seen order and a legend", async () => {
  const cells = [
    { column: "GT", row: "r_wrist", image: solid(4, 4, 10) },
    { column: "GT/2", row: "r_wrist", image: solid(2, 2, 20) },
    { column: "GT", row: "l_knee", image: solid(4, 4, 30) },
  ];
  const spec = imageGridSpec(cells, {
    title: "Targets",
    columnTitle: "scale",
    rowTitle: "joint",
    colorLegend: { title: "target value", domain: [0, 1] },
  });
  const facet =
    (spec as unknown as { facet: { column: { sort: string[] }; row: { sort: string[] } } })
      .facet;
  assertEquals(facet.column.sort, ["GT", "GT/2"]);
  assertEquals(facet.row.sort, ["r_wrist", "l_knee"]);
  const svg = await renderSvg(spec);
  // One <image> per cell (the gap at l_knee, GT/2 is filled white), and the data URL is not
  // repeated in aria labels.
  assertEquals(count(svg, "<image"), 4);
  assertEquals(count(svg, "data:image/png"), 4);
  for (const text of ["Targets", "scale", "joint", "GT/2", "l_knee", "target value"]) {
    assertStringIncludes(svg, text);
  }
  assertThrows(() => imageGridSpec([], { title: "x", columnTitle: "y" }));
});

Deno.test("a pose gallery draws bones only between annotated joints and splits visible from occluded", async () => {
  const kps: Keypoint[] = Array.from({ length: NUM_JOINTS }, () => [0, 0, 0] as const);
  kps[J.r_wrist] = [2, 3, 2];
  kps[J.r_elbow] = [5, 5, 1];
  kps[J.l_wrist] = [9, 9, 2]; // its elbow is missing: no bone
  const spec = poseGallerySpec([{
    title: "crop",
    image: solid(16, 16, 128),
    poses: [{ label: "ground truth", keypoints: kps }],
    boxes: [{ x0: 1, y0: 1, width: 4, height: 4, label: "background" }],
  }], { title: "Poses" });
  const rows = (spec as unknown as Rows).data.values;
  const layer = (name: string) => rows.filter((r) => r.layer === name);
  assertEquals(layer("bone").length, 1);
  assertEquals(layer("bone")[0]!.side, "right");
  assertEquals(layer("visible").length, 2);
  assertEquals(layer("occluded").length, 1);
  // Boxes cover whole pixels: pixel 1 spans [0.5, 1.5].
  assertEquals([layer("box")[0]!.x, layer("box")[0]!.x2], [0.5, 4.5]);
  const svg = await renderSvg(spec);
  for (const text of ["Poses", "body side", "ground truth", "background", "1. crop"]) {
    assertStringIncludes(svg, text);
  }
});

Deno.test("a pose gallery refuses panels of different sizes", () => {
  const pose = { label: "p", keypoints: [] };
  assertThrows(
    () =>
      poseGallerySpec([
        { title: "a", image: solid(4, 4, 0), poses: [pose] },
        { title: "b", image: solid(8, 4, 0), poses: [pose] },
      ], { title: "x" }),
    Error,
    "same size",
  );
});

Deno.test("PCK curves have a panel per part, leave out unannotated joints and draw the Mean", async () => {
  const perJoint = [0, 0.25, 0.5].map((a) =>
    Array.from({ length: NUM_JOINTS }, (_, j) => (j === J.r_ankle ? null : 100 * a * 2))
  );
  const spec = pckCurvesSpec({ alphas: [0, 0.25, 0.5], mean: [0, 50, 100], perJoint }, {
    title: "PCKh by joint",
  });
  const rows = (spec as unknown as Rows).data.values;
  assertEquals(rows.filter((r) => r.joint === "Mean").length, 3);
  assertEquals(rows.filter((r) => r.panel === "Wrist").length, 6); // two wrists x 3 thresholds
  assertEquals(rows.filter((r) => r.panel === "Ankle").length, 3); // the right ankle is null
  assertEquals(rows.filter((r) => r.panel === "upper neck").length, 3); // its own panel
  const svg = await renderSvg(spec);
  for (const text of ["PCKh by joint", "Wrist", "Mean", "threshold (head sizes)", "PCKh (%)"]) {
    assertStringIncludes(svg, text);
  }
});

Deno.test("PCK curves leave out pelvis and thorax, which PCKh does not score, and say so", async () => {
  // Tompson et al.'s predictions have zeros for pelvis and thorax: flat 0% lines if drawn.
  const perJoint = [0, 0.5].map((a) =>
    Array.from({ length: NUM_JOINTS }, (_, j) => (j === J.pelvis || j === J.thorax ? 0 : 200 * a))
  );
  const spec = pckCurvesSpec({ alphas: [0, 0.5], mean: [0, 100], perJoint }, { title: "t" });
  const rows = (spec as unknown as Rows).data.values;
  assertEquals(rows.some((r) => r.joint === "pelvis" || r.joint === "thorax"), false);
  assertEquals(rows.some((r) => r.panel === "pelvis" || r.panel === "thorax"), false);
  const svg = await renderSvg(spec);
  assertStringIncludes(svg, "not scored by PCKh, not drawn: pelvis, thorax");
  const all = pckCurvesSpec({ alphas: [0, 0.5], mean: [0, 100], perJoint }, {
    title: "t",
    unscored: [],
  });
  assertEquals((all as unknown as Rows).data.values.filter((r) => r.panel === "pelvis").length, 2);
});

Deno.test("a matrix chart prints its values and keeps rows and columns in order", async () => {
  const spec = matrixSpec([
    { row: "stack 1", column: "ankle", value: 0.0625 },
    { row: "stack 1", column: "head", value: 0.0625 },
    { row: "stack 2", column: "ankle", value: 0.1 },
    { row: "stack 2", column: "head", value: 0.025 },
  ], { title: "Keypoint weights", rowTitle: "stack", columnTitle: "joint", valueTitle: "weight" });
  const svg = await renderSvg(spec);
  for (const text of ["Keypoint weights", "stack 2", "0.06", "0.10", "0.03", "weight"]) {
    assertStringIncludes(svg, text);
  }
  assert(svg.indexOf("stack 1") < svg.indexOf("stack 2"));
});

Deno.test("a bundle's text part is the title even when the title has a subtitle", async () => {
  const spec = imageGridSpec([{ column: "a", image: solid(2, 2, 0) }], {
    title: "Grid",
    subtitle: "what it shows",
    columnTitle: "c",
  });
  assertEquals((await vegaLiteBundle(spec))["text/plain"], "Grid");
});

Deno.test("images embed as PNG by default and as JPEG on request", () => {
  const img = solid(8, 8, 100);
  assertEquals(imageDataUrl(img), pngDataUrl(img));
  const jpeg = imageDataUrl(img, "jpeg");
  assert(jpeg.startsWith("data:image/jpeg;base64,/9j/"), jpeg.slice(0, 40));
});

Deno.test("pose galleries embed JPEG unless asked for PNG", () => {
  const panel = { title: "a", image: solid(4, 4, 0), poses: [] };
  const url = (format?: "png" | "jpeg") =>
    String(
      (poseGallerySpec([panel], { title: "x", format }) as unknown as Rows).data.values[0]!.url,
    );
  assert(url().startsWith("data:image/jpeg"));
  assert(url("png").startsWith("data:image/png"));
});
