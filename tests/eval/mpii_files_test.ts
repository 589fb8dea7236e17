import { assertEquals, assertRejects, assertThrows } from "@std/assert";
import { join } from "@std/path";
import {
  formatOfPath,
  predictionsToNested,
  readMpiiGroundTruth,
  readPredictions,
  sniffFormat,
  writePredictions,
} from "../../lib/eval/mod.ts";
import { KitError, writeH5, writeMat } from "../../lib/io/mod.ts";
import { J } from "../../lib/skeleton/mod.ts";
import { gtCoords, N, predictions, toMatlabLayout, writeGtH5, writeGtMat } from "./mpii_fixture.ts";

async function tempDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "kit-eval-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("ground truth reads the same from the MPII .mat layout and from valid.h5", () =>
  tempDir(async (dir) => {
    const mat = await readMpiiGroundTruth(await writeGtMat(dir));
    const h5 = await readMpiiGroundTruth(await writeGtH5(dir));
    for (const gt of [mat, h5]) {
      assertEquals(gt.count, N);
      assertEquals(Array.from(gt.headSizes), [30, 30, 30, 30]);
      assertEquals(gt.visibility[3 * 16 + J.l_ankle], 0);
      assertEquals(gt.visibility[3 * 16 + J.head_top], 2);
    }
    assertEquals(Array.from(mat.coords), Array.from(gtCoords()));
    assertEquals(Array.from(h5.coords.slice(0, 3 * 32)), Array.from(gtCoords().slice(0, 3 * 32)));
    // Only valid.h5 knows occlusion: person 0's wrists.
    assertEquals([mat.hasOcclusion, h5.hasOcclusion], [false, true]);
    assertEquals([mat.visibility[J.l_wrist], h5.visibility[J.l_wrist]], [2, 1]);
  }));

Deno.test("predictions round-trip through .h5, .mat and .json exports", () =>
  tempDir(async (dir) => {
    const preds = predictions();
    preds[5] = NaN;
    for (const name of ["p.h5", "p.mat", "sub/p.json"]) {
      const path = join(dir, name);
      await writePredictions(path, preds);
      const back = await readPredictions(path);
      assertEquals(back.shape, [N, 16, 2]);
      assertEquals(Array.from(back.data), Array.from(preds), name);
    }
    assertEquals(await sniffFormat(join(dir, "p.mat")), "mat");
    assertEquals(JSON.parse(await Deno.readTextFile(join(dir, "sub/p.json")))[0][2], [120, null]);
  }));

Deno.test("pos_pred_src (16x2xN) and a JSON object with preds are read too", () =>
  tempDir(async (dir) => {
    const mat = join(dir, "pos.mat");
    await writeMat(mat, {
      pos_pred_src: { shape: [16, 2, N], data: toMatlabLayout(predictions()) },
    });
    assertEquals(Array.from((await readPredictions(mat)).data), Array.from(predictions()));
    const json = join(dir, "p.json");
    await Deno.writeTextFile(json, JSON.stringify({ preds: predictionsToNested(predictions()) }));
    assertEquals(Array.from((await readPredictions(json)).data), Array.from(predictions()));
  }));

Deno.test("malformed prediction files are KitErrors naming the file and what is wrong", () =>
  tempDir(async (dir) => {
    const h5 = join(dir, "p14.h5");
    await writeH5(h5, { preds: { shape: [N, 14, 2], data: new Float64Array(N * 28) } });
    await assertRejects(() => readPredictions(h5), KitError, 'field "preds" has shape [4, 14, 2]');
    const none = join(dir, "none.mat");
    await writeMat(none, { other: { shape: [1], data: Float64Array.of(1) } });
    await assertRejects(() => readPredictions(none), KitError, 'no predictions: expected "preds"');
    const bad = join(dir, "bad.json");
    await Deno.writeTextFile(bad, "[[[1, 2]]]");
    await assertRejects(() => readPredictions(bad), KitError, "person 0 has 1 joints");
    await Deno.writeTextFile(bad, "[1, 2");
    await assertRejects(() => readPredictions(bad), KitError, "not valid JSON");
    const text = join(dir, "notes.txt");
    await Deno.writeTextFile(text, "hello");
    await assertRejects(() => readPredictions(text), KitError, "neither a MATLAB");
    await assertRejects(() => readPredictions(join(dir, "nope.mat")), KitError, "cannot read");
  }));

Deno.test("malformed ground truth is a KitError: missing field, disagreeing counts, JSON", () =>
  tempDir(async (dir) => {
    const noBoxes = await writeGtMat(dir, { omit: "headboxes_src", name: "a.mat" });
    await assertRejects(
      () => readMpiiGroundTruth(noBoxes),
      KitError,
      'missing field "headboxes_src"',
    );
    const path = join(dir, "b.mat");
    await writeMat(path, {
      pos_gt_src: { shape: [16, 2, 3], data: new Float64Array(96) },
      jnt_missing: { shape: [16, 3], data: new Float64Array(48) },
      headboxes_src: { shape: [2, 2, 2], data: new Float64Array(8) },
    });
    await assertRejects(
      () => readMpiiGroundTruth(path),
      KitError,
      "disagree on the number of people",
    );
    const json = join(dir, "gt.json");
    await Deno.writeTextFile(json, "[]");
    await assertRejects(() => readMpiiGroundTruth(json), KitError, "not JSON");
  }));

Deno.test("export formats follow the extension, and an unknown one is refused", () => {
  assertEquals(["a.h5", "a.HDF5", "a.json", "a.mat"].map(formatOfPath), [
    "h5",
    "h5",
    "json",
    "mat",
  ]);
  assertThrows(() => formatOfPath("preds.csv"), KitError, 'unknown prediction format ".csv"');
});
