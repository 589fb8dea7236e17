import { assert, assertEquals, assertNotEquals } from "@std/assert";
import { dataConfig, dataDefaults, type SynthConfig } from "../../lib/data/config.ts";
import { randomAppearance } from "../../lib/data/synth/appearance.ts";
import { bodyParts, facing } from "../../lib/data/synth/body.ts";
import { SynthPose } from "../../lib/data/synth/dataset.ts";
import { solidPaint } from "../../lib/data/synth/paint.ts";
import { kinematicPose } from "../../lib/data/synth/kinematic.ts";
import { BANK_SIZES, bankPose, mirrorPose, perturbPose } from "../../lib/data/synth/pose.ts";
import { Canvas, Capsule, Ellipse, Polygon } from "../../lib/data/synth/raster.ts";
import { headSize } from "../../lib/data/types.ts";
import { Random } from "../../lib/random/random.ts";
import { FLIP_PAIRS, J, NUM_JOINTS } from "../../lib/skeleton/mpii.ts";

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

/** A frontal upright person in box units: its left side on the image's right. */
function frontalPose(): Float64Array {
  const xy = new Float64Array(2 * NUM_JOINTS);
  const put = (j: number, x: number, y: number) => ((xy[2 * j] = x), (xy[2 * j + 1] = y));
  put(J.head_top, 0, -0.45), put(J.upper_neck, 0, -0.32), put(J.thorax, 0, -0.28);
  put(J.pelvis, 0, 0), put(J.l_shoulder, 0.1, -0.28), put(J.r_shoulder, -0.1, -0.28);
  put(J.l_hip, 0.07, 0), put(J.r_hip, -0.07, 0), put(J.l_elbow, 0.12, -0.12);
  put(J.r_elbow, -0.12, -0.12), put(J.l_wrist, 0.13, 0.02), put(J.r_wrist, -0.13, 0.02);
  put(J.l_knee, 0.08, 0.22), put(J.r_knee, -0.08, 0.22), put(J.l_ankle, 0.08, 0.44);
  put(J.r_ankle, -0.08, 0.44);
  return xy;
}

/** The same figure with every left and right label swapped: the person seen from behind. */
function swapSides(xy: Float64Array): Float64Array {
  const out = new Float64Array(xy);
  for (const [a, b] of FLIP_PAIRS) {
    out[2 * a] = xy[2 * b]!, out[2 * a + 1] = xy[2 * b + 1]!;
    out[2 * b] = xy[2 * a]!, out[2 * b + 1] = xy[2 * a + 1]!;
  }
  return out;
}

Deno.test("facing is +1 for a frontal person, -1 from behind, and ignores in-plane rotation", () => {
  const front = frontalPose();
  assert(facing(front) > 0.95, `${facing(front)}`);
  assert(facing(swapSides(front)) < -0.95);
  // Mirroring the image and swapping labels (flip augmentation) keeps a frontal person frontal.
  assert(facing(mirrorPose(front)) > 0.95);
  const t = 2.1,
    rotated = front.map((_, i) =>
      i % 2 === 0
        ? Math.cos(t) * front[i]! - Math.sin(t) * front[i + 1]!
        : Math.sin(t) * front[i - 1]! + Math.cos(t) * front[i]!
    );
  assert(Math.abs(facing(rotated) - facing(front)) < 1e-9);
});

Deno.test("a head facing the camera gets eyes and a mouth; one facing away gets hair", () => {
  const look = {
    ...randomAppearance(new Random(4), 100),
    hair: { paint: solidPaint([9, 9, 9]), from: 0.3 },
  };
  const depth = new Float64Array(NUM_JOINTS);
  const px = (xy: Float64Array) => xy.map((v) => 50 + 100 * v);
  const plain = bodyParts(px(frontalPose()), depth, 100, look, new Random(1));
  const front = bodyParts(px(frontalPose()), depth, 100, look, new Random(1), true);
  const back = bodyParts(px(swapSides(frontalPose())), depth, 100, look, new Random(1), true);
  assertEquals(front.length, plain.length + 3); // two eyes and a mouth
  assertEquals(back.length, plain.length);
  const headOf = (parts: typeof back) =>
    parts.find((p) => p.shape instanceof Ellipse && p.shape.cap !== undefined)!.shape as Ellipse;
  assertEquals(headOf(plain).cap!.from, 0.3);
  assert(headOf(back).cap!.from < -0.5, "hair covers the back of the head");
});

Deno.test("the side colour code paints right limbs warm and left limbs cool, like the figures", () => {
  const cfg = dataConfig({ synth: { level: "easy", valSize: 40 } }).synth;
  const ds = new SynthPose(cfg, "val", 96);
  let checked = 0, right = 0;
  for (let i = 0; i < 40; i++) {
    const s = ds.render(i);
    for (
      const [j, warm] of [[J.l_wrist, false], [J.r_wrist, true], [J.l_ankle, false], [
        J.r_ankle,
        true,
      ]] as const
    ) {
      const [x, y, v] = s.keypoints[j]!;
      if (v !== 2) continue;
      const o = 3 * (Math.round(y) * s.image.width + Math.round(x));
      const [r, b] = [s.image.data[o]!, s.image.data[o + 2]!];
      checked++;
      if ((r > b) === warm) right++;
    }
  }
  assert(checked > 60, `${checked} visible wrists and ankles`);
  assert(right / checked > 0.85, `${right} of ${checked} joints in their side's colour`);
});
