import { assert, assertEquals, assertNotEquals } from "@std/assert";
import { dataConfig, dataDefaults, type SynthConfig } from "../../lib/data/config.ts";
import { SynthPose } from "../../lib/data/synth/dataset.ts";
import { solidPaint } from "../../lib/data/synth/paint.ts";
import {
  BANK_SIZES,
  bankPose,
  kinematicPose,
  mirrorPose,
  perturbPose,
} from "../../lib/data/synth/pose.ts";
import { Canvas, Capsule, Ellipse, Polygon } from "../../lib/data/synth/raster.ts";
import { headSize } from "../../lib/data/types.ts";
import { Random } from "../../lib/random/random.ts";
import { J, NUM_JOINTS } from "../../lib/skeleton/mpii.ts";

const synth = dataDefaults.synth;

Deno.test("the generator is deterministic per (seed, split, index)", () => {
  const a = new SynthPose(synth, "train", 64).render(5);
  const b = new SynthPose(synth, "train", 64).render(5);
  assertEquals(a.image.data, b.image.data);
  assertEquals([a.keypoints, a.center, a.scale, a.headBox], [
    b.keypoints,
    b.center,
    b.scale,
    b.headBox,
  ]);
  const other = new SynthPose(synth, "train", 64).render(6);
  const reseeded = new SynthPose({ ...synth, seed: 2 }, "train", 64).render(5);
  const val = new SynthPose(synth, "val", 64).render(5);
  for (const c of [other, reseeded, val]) assertNotEquals(c.keypoints, a.keypoints);
});

Deno.test("an annotation-only sample has exactly the rendered sample's annotation", () => {
  const ds = new SynthPose(synth, "val", 96);
  for (const i of [0, 7, 31]) {
    const full = ds.render(i), bare = ds.render(i, { pixels: false });
    assertEquals([bare.keypoints, bare.center, bare.scale, bare.headBox], [
      full.keypoints,
      full.center,
      full.scale,
      full.headBox,
    ]);
    assertEquals(bare.image.data.length, 0);
  }
});

Deno.test("samples follow the MPII conventions: 16 joints, visibility, scale, head size", () => {
  const size = 128;
  const ds = new SynthPose(synth, "train", size);
  const visibility = [0, 0, 0];
  for (let i = 0; i < 40; i++) {
    const s = ds.render(i, { pixels: false });
    assertEquals(s.keypoints.length, NUM_JOINTS);
    for (const [x, y, v] of s.keypoints) {
      visibility[v]!++;
      if (v === 0) assertEquals([x, y], [0, 0]);
      else assert(x >= 0 && x <= size - 1 && y >= 0 && y <= size - 1);
    }
    // The person box is personScale of the image; the head box gives MPII's head size.
    const box = 200 * s.scale;
    assert(box >= 0.45 * size - 1e-9 && box <= 0.7 * size + 1e-9, `box ${box}`);
    const head = headSize(s)!;
    assert(head > 0.03 * box && head < 0.25 * box, `head size ${head} for box ${box}`);
  }
  // Mostly visible, some occluded; few missing.
  assert(visibility[2]! > visibility[1]! && visibility[1]! > 0, `visibility counts ${visibility}`);
});

Deno.test("occluders and overlapping people hide more joints than an empty scene", () => {
  const count = (cfg: SynthConfig) => {
    const ds = new SynthPose(cfg, "train", 128);
    let occluded = 0;
    for (let i = 0; i < 60; i++) {
      occluded += ds.render(i, { pixels: false }).keypoints.filter((k) => k[2] === 1).length;
    }
    return occluded;
  };
  const easy = count({ ...synth, occluders: 0, distractors: 0 });
  const hard = count({ ...synth, occluders: 1, distractors: 1, maxDistractors: 2 });
  assert(hard > easy * 1.3, `occluded joints: ${hard} with occluders and people, ${easy} without`);
});

Deno.test("scene size follows the config and defaults to 4/3 of the crop", async () => {
  const ds = await (await import("../../lib/data/open.ts")).openDataset(
    dataConfig({ inputSize: 64 }),
    "val",
  );
  assertEquals((await ds.get(0)).image.width, 88);
  const fixed = new SynthPose({ ...synth, imageSize: 50 }, "val", 50).render(0);
  assertEquals([fixed.image.width, fixed.image.height, fixed.image.data.length], [50, 50, 7500]);
});

Deno.test("bank poses: two disjoint splits; mirroring twice is the identity", () => {
  assert(BANK_SIZES.train >= 1000 && BANK_SIZES.val >= 200);
  const p = bankPose("train", 3);
  assertEquals(p.length, 2 * NUM_JOINTS);
  assertEquals(mirrorPose(mirrorPose(p)), p);
  const m = mirrorPose(p);
  assertEquals([m[2 * J.l_wrist], m[2 * J.l_wrist + 1]], [
    -p[2 * J.r_wrist]!,
    p[2 * J.r_wrist + 1],
  ]);
  const same = perturbPose(p, new Random(1), { jitterDeg: 0, proportions: 0 });
  same.forEach((v, i) => assert(Math.abs(v - p[i]!) < 1e-12));
  assertNotEquals(perturbPose(p, new Random(1), { jitterDeg: 10, proportions: 0.1 }), p);
});

Deno.test("kinematic poses stay inside the person box with human bone lengths", () => {
  const rng = new Random(3);
  for (let t = 0; t < 200; t++) {
    const { xy, depth } = kinematicPose(rng, 0.1);
    for (let j = 0; j < NUM_JOINTS; j++) {
      assert(
        Math.abs(xy[2 * j]!) < 1 && Math.abs(xy[2 * j + 1]!) < 1,
        `joint ${j} at ${xy[2 * j]}, ${xy[2 * j + 1]}`,
      );
      assert(Number.isFinite(depth[j]!));
    }
    // A projected bone is never longer than the bone (0.28 box for a thigh, +4 sd of proportions).
    const thigh = Math.hypot(
      xy[2 * J.l_knee]! - xy[2 * J.l_hip]!,
      xy[2 * J.l_knee + 1]! - xy[2 * J.l_hip + 1]!,
    );
    assert(thigh <= 0.28 * Math.exp(0.1 * 4) * Math.exp(0.1 * 4));
  }
});

Deno.test("a shape covers exactly the pixels it draws", () => {
  const shapes = [
    new Capsule(5, 6, 4, 20, 14, 2, solidPaint([255, 0, 0]), 0),
    new Ellipse(12, 12, 9, 4, 0.6, solidPaint([255, 0, 0]), 0),
    new Polygon([[2, 3], [22, 5], [12, 21], [9, 10]], solidPaint([255, 0, 0])),
  ];
  for (const shape of shapes) {
    const c = new Canvas(24, 24);
    shape.draw(c);
    for (let y = 0; y < 24; y++) {
      for (let x = 0; x < 24; x++) {
        const drawn = c.pixels[(y * 24 + x) * 3] === 255;
        assertEquals(drawn, shape.contains(x, y), `${shape.constructor.name} at ${x},${y}`);
      }
    }
  }
});
