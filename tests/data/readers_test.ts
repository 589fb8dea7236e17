import { assertAlmostEquals, assertEquals, assertRejects } from "@std/assert";
import { join } from "@std/path";
import { dataConfig } from "../../lib/data/config.ts";
import { datasetPaths, openDataset } from "../../lib/data/open.ts";
import { openFlicH5, openMpiiH5 } from "../../lib/data/readers/hg_h5.ts";
import { openLsp } from "../../lib/data/readers/lsp.ts";
import { openMpiiJson } from "../../lib/data/readers/mpii_json.ts";
import { MPII_CROP, PLAIN_CROP, SampleLoadError } from "../../lib/data/types.ts";
import { KitError, writeH5 } from "../../lib/io/mod.ts";
import { J, NUM_JOINTS } from "../../lib/skeleton/mpii.ts";
import { solidImage, writeMatArray, writePng } from "./fixtures.ts";

/** pose-hg-train layout with its baked crop adjustment (scale x 1.25, centre 15 s lower). */
async function writeHgFixture(
  dir: string,
  joints: number = NUM_JOINTS,
  overrides: Record<string, unknown> = {},
) {
  const n = 2;
  const part = new Float64Array(n * joints * 2);
  const visible = new Float64Array(n * joints);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < joints; j++) {
      part[(i * joints + j) * 2] = 10 + j + 100 * i;
      part[(i * joints + j) * 2 + 1] = 20 + 2 * j;
      visible[i * joints + j] = j % 2;
    }
  }
  part[0] = 0; // sample 0, joint 0 not annotated
  part[1] = 0;
  const rawScale = [1.6, 2];
  const path = join(dir, "annot", "valid.h5");
  await Deno.mkdir(join(dir, "annot"), { recursive: true });
  await writeH5(
    path,
    {
      center: { shape: [n, 2], data: Float64Array.from([50, 40 + 15 * 1.6, 150, 60 + 15 * 2]) },
      scale: { shape: [n], data: Float64Array.from(rawScale.map((s) => s * 1.25)) },
      part: { shape: [n, joints, 2], data: part },
      visible: { shape: [n, joints], data: visible },
      normalize: { shape: [n], data: Float64Array.from([30, 35]) },
      imgname: ["a.png", "b.png"],
      ...overrides,
    } as Parameters<typeof writeH5>[1],
  );
  await writePng(join(dir, "images", "a.png"), solidImage(8, 6));
  await writePng(join(dir, "images", "b.png"), solidImage(5, 4));
  return path;
}

Deno.test("MPII HDF5: joints, visibility, head size, and MPII's own centre and scale", async () => {
  const dir = await Deno.makeTempDir();
  const path = await writeHgFixture(dir);
  const ds = await openMpiiH5({ annotations: path, imageDir: join(dir, "images") });
  assertEquals(ds.length, 2);
  assertEquals(ds.crop, MPII_CROP);
  const s = await ds.get(0);
  assertEquals(s.image.width, 8);
  assertEquals(s.keypoints[0], [0, 0, 0]); // (0, 0) is "not annotated"
  assertEquals(s.keypoints[1], [11, 22, 2]); // visible 1
  assertEquals(s.keypoints[2], [12, 24, 1]); // visible 0: annotated but occluded
  // The baked adjustment is undone: MPII's objpos and scale come back.
  assertAlmostEquals(s.scale, 1.6, 1e-12);
  assertAlmostEquals(s.center[1], 40, 1e-9);
  assertEquals(s.normalize, 30);
  assertEquals(s.headBox, null);
  assertEquals(s.id, "a.png#0");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("FLIC HDF5: 11 joints land on their MPII channels, the crop is plain", async () => {
  const dir = await Deno.makeTempDir();
  const path = await writeHgFixture(dir, 11);
  const ds = await openFlicH5({ annotations: path, imageDir: join(dir, "images") });
  assertEquals(ds.crop, PLAIN_CROP);
  const s = await ds.get(1);
  assertEquals(s.keypoints.length, NUM_JOINTS);
  assertEquals(s.keypoints[J.l_shoulder], [110, 20, 1]); // FLIC joint 0
  assertEquals(s.keypoints[J.r_wrist], [115, 30, 2]); // FLIC joint 5
  assertEquals(s.keypoints[J.head_top], [0, 0, 0]); // FLIC has no head top
  assertEquals(s.normalizeKind, "torso");
  assertEquals(s.scale, 2.5); // not un-baked
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a malformed HDF5 file is reported with its name and the bad field", async () => {
  const dir = await Deno.makeTempDir();
  const images = join(dir, "images");
  let path = await writeHgFixture(dir, NUM_JOINTS, {
    part: { shape: [2, 14, 2], data: new Float64Array(56) },
  });
  await assertRejects(
    () => openMpiiH5({ annotations: path, imageDir: images }),
    KitError,
    `${path}: field "part" has shape [2, 14, 2], expected [2, 16, 2]`,
  );
  path = await writeHgFixture(dir, NUM_JOINTS, { imgname: ["a.png"] });
  await assertRejects(
    () => openMpiiH5({ annotations: path, imageDir: images }),
    KitError,
    'field "imgname" has 1 entries, expected 2',
  );
  path = await writeHgFixture(dir, NUM_JOINTS, {
    scale: { shape: [2], data: Float64Array.from([1, NaN]) },
  });
  await assertRejects(
    () => openMpiiH5({ annotations: path, imageDir: images }),
    KitError,
    'field "scale" holds NaN at row 1',
  );
  await Deno.remove(path);
  await writeH5(path, { center: { shape: [1, 2], data: new Float64Array(2) } });
  await assertRejects(
    () => openMpiiH5({ annotations: path, imageDir: images }),
    KitError,
    `${path}: missing field "scale"`,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a missing image folder fails at open, a missing or corrupt image at get", async () => {
  const dir = await Deno.makeTempDir();
  const path = await writeHgFixture(dir);
  await assertRejects(
    () => openMpiiH5({ annotations: path, imageDir: join(dir, "nope") }),
    KitError,
    `${join(dir, "nope")}: MPII images directory not found`,
  );
  const ds = await openMpiiH5({ annotations: path, imageDir: join(dir, "images") });
  await Deno.remove(join(dir, "images", "b.png"));
  const missing = await assertRejects(() => ds.get(1), SampleLoadError, "b.png: image not found");
  assertEquals([missing.index, missing.path], [1, join(dir, "images", "b.png")]);
  await Deno.writeTextFile(join(dir, "images", "a.png"), "not a png");
  await assertRejects(() => ds.get(0), SampleLoadError, "a.png: not a readable PNG or JPEG image");
  await Deno.remove(dir, { recursive: true });
});

function record(img: string, isValidation: number, extra: Record<string, unknown> = {}) {
  return {
    dataset: "MPI",
    isValidation,
    img_paths: img,
    objpos: [30, 40],
    scale_provided: 0.5,
    joint_self: Array.from(
      { length: NUM_JOINTS },
      (_, j) => j === 3 ? [0, 0, 0] : [j + 1, 2 * j + 1, j % 2],
    ),
    ...extra,
  };
}

Deno.test("bearpaw JSON: splits by isValidation, joints and visibility, optional head box", async () => {
  const dir = await Deno.makeTempDir();
  const file = join(dir, "mpii_annotations.json");
  await Deno.writeTextFile(
    file,
    JSON.stringify([
      record("a.png", 0),
      record("b.png", 1, { headbox: [1, 2, 11, 12] }),
      record("c.png", 0, { objpos: [-1, -1] }),
    ]),
  );
  await writePng(join(dir, "images", "a.png"), solidImage(4, 4));
  const train = await openMpiiJson({
    annotations: file,
    imageDir: join(dir, "images"),
    split: "train",
  });
  const val = await openMpiiJson({
    annotations: file,
    imageDir: join(dir, "images"),
    split: "val",
  });
  assertEquals([train.length, train.skipped, val.length, val.skipped], [1, 1, 1, 0]);
  const s = await train.get(0);
  assertEquals(s.keypoints[0], [1, 1, 1]);
  assertEquals(s.keypoints[1], [2, 3, 2]);
  assertEquals(s.keypoints[3], [0, 0, 0]);
  assertEquals([s.center, s.scale, s.headBox], [[30, 40], 0.5, null]);
  assertEquals(val.annotation(0).headBox, [1, 2, 11, 12]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a malformed JSON list names the file, the record and the field", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(join(dir, "images"));
  const file = join(dir, "a.json");
  const open = () =>
    openMpiiJson({ annotations: file, imageDir: join(dir, "images"), split: "all" });
  await Deno.writeTextFile(file, "{ nope");
  await assertRejects(open, KitError, `${file}: not valid JSON`);
  await Deno.writeTextFile(file, "{}");
  await assertRejects(open, KitError, `${file}: expected a JSON array of person records`);
  const bad = record("x.png", 0);
  bad.joint_self = bad.joint_self.slice(0, 15);
  await Deno.writeTextFile(file, JSON.stringify([record("a.png", 0), bad]));
  await assertRejects(open, KitError, `${file}: record 1 field "joint_self" must be 16 (MPII)`);
  await Deno.writeTextFile(file, JSON.stringify([record("a.png", 0, { scale_provided: "big" })]));
  await assertRejects(
    open,
    KitError,
    'record 0 field "scale_provided" must be a number; got "big"',
  );
  await Deno.writeTextFile(file, JSON.stringify([record("a.png", 2)]));
  await assertRejects(open, KitError, 'record 0 field "isValidation" must be 0 or 1');
  await assertRejects(
    () => openMpiiJson({ annotations: join(dir, "gone.json"), imageDir: dir, split: "all" }),
    KitError,
    "gone.json: annotation file not found",
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("gzipped JSON lists read like plain ones", async () => {
  const dir = await Deno.makeTempDir();
  const file = join(dir, "a.json.gz");
  const text = new TextEncoder().encode(JSON.stringify([record("a.png", 1)]));
  const gz = await new Response(
    new Blob([text]).stream().pipeThrough(new CompressionStream("gzip")),
  )
    .arrayBuffer();
  await Deno.writeFile(file, new Uint8Array(gz));
  await Deno.mkdir(join(dir, "images"));
  const ds = await openMpiiJson({ annotations: file, imageDir: join(dir, "images"), split: "val" });
  assertEquals(ds.length, 1);
  // The default name without .gz finds the gzipped copy, as data/README.md promises.
  const plain = join(dir, "a.json");
  const found = await openMpiiJson({
    annotations: plain,
    imageDir: join(dir, "images"),
    split: "val",
  });
  assertEquals(found.length, 1);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("LSP: occlusion flags, the train/test halves, MPII channels and a person box", async () => {
  const dir = await Deno.makeTempDir();
  const file = join(dir, "joints.mat");
  // 3 x 14 x 4: x = 10 + joint, y = 20 + 2 joint + 100 image, flag 1 (occluded) on even joints.
  await writeMatArray(
    file,
    "joints",
    [3, 14, 4],
    (r, j, i) => r === 0 ? 10 + j! : r === 1 ? 20 + 2 * j! + 100 * i! : (j! % 2 === 0 ? 1 : 0),
  );
  await Deno.mkdir(join(dir, "images"));
  const train = await openLsp({ annotations: file, imageDir: join(dir, "images"), split: "train" });
  const test = await openLsp({ annotations: file, imageDir: join(dir, "images"), split: "val" });
  assertEquals([train.length, test.length], [2, 2]);
  const a = test.annotation(0); // image 3
  assertEquals(a.image, "im0003.jpg");
  assertEquals(a.keypoints[J.r_ankle], [10, 220, 1]); // LSP joint 0, flag 1 = occluded
  assertEquals(a.keypoints[J.r_knee], [11, 222, 2]);
  assertEquals(a.keypoints[J.head_top], [23, 246, 2]); // LSP joint 13
  assertEquals(a.keypoints[J.pelvis], [0, 0, 0]);
  assertEquals(a.center, [16.5, 233]);
  assertAlmostEquals(a.scale, (26 * 1.45) / 200, 1e-12);
  assertEquals(a.normalizeKind, "torso");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("LSP extended reads 14 x 3 x N with visible flags, and has no test split", async () => {
  const dir = await Deno.makeTempDir();
  const file = join(dir, "joints.mat");
  await writeMatArray(
    file,
    "joints",
    [14, 3, 2],
    (j, r, _i) => r === 0 ? 5 + j! : r === 1 ? 9 + j! : (j! === 0 ? 0 : 1),
  );
  await Deno.mkdir(join(dir, "images"));
  const ds = await openLsp({ annotations: file, imageDir: join(dir, "images"), split: "train" });
  assertEquals(ds.annotation(1).image, "im00002.jpg");
  assertEquals(ds.annotation(0).keypoints[J.r_ankle], [5, 9, 1]);
  assertEquals(ds.annotation(0).keypoints[J.r_knee], [6, 10, 2]);
  await assertRejects(
    () => openLsp({ annotations: file, imageDir: join(dir, "images"), split: "val" }),
    KitError,
    "LSP extended has no test split",
  );
  await writeMatArray(file, "joints", [2, 14, 2], () => 1);
  await assertRejects(
    () => openLsp({ annotations: file, imageDir: join(dir, "images"), split: "train" }),
    KitError,
    `${file}: field "joints" has shape [2, 14, 2]`,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("openDataset finds files under data.root and limits splits", async () => {
  const dir = await Deno.makeTempDir();
  await writeHgFixture(dir);
  const cfg = dataConfig({ dataset: "mpii_h5", root: dir, valLimit: 1 });
  assertEquals(datasetPaths(cfg, "val").annotations, join(dir, "annot", "valid.h5"));
  assertEquals((await openDataset(cfg, "val")).length, 1);
  await assertRejects(
    () => openDataset(cfg, "train"),
    KitError,
    `${join(dir, "annot", "train.h5")}: mpii_h5 annotation file not found`,
  );
  const synth = await openDataset(dataConfig({ synth: { valSize: 7 } }), "val");
  assertEquals([synth.name, synth.length], ["synth-val", 7]);
  await Deno.remove(dir, { recursive: true });
});
