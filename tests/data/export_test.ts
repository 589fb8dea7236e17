import { assertEquals, assertRejects } from "@std/assert";
import { join } from "@std/path";
import { main as synthMain } from "../../lib/cli/synth.ts";
import { dataConfig } from "../../lib/data/config.ts";
import { exportSynth, toBearpawRecord } from "../../lib/data/export.ts";
import { openMpiiJson } from "../../lib/data/readers/mpii_json.ts";
import { SynthPose } from "../../lib/data/synth/dataset.ts";
import { KitError } from "../../lib/io/errors.ts";

Deno.test("export then read back gives the same joints, boxes and pixels", async () => {
  const out = await Deno.makeTempDir();
  const config = dataConfig({ inputSize: 32, synth: { seed: 4 } });
  await exportSynth({ out, count: 3, valCount: 2, config, progress: false });
  const annotations = join(out, "mpii_annotations.json");
  const imageDir = join(out, "images");
  for (const [split, n] of [["train", 3], ["val", 2]] as const) {
    const read = await openMpiiJson({ annotations, imageDir, split });
    const made = new SynthPose(config.synth, split, 40);
    assertEquals(read.length, n);
    for (let i = 0; i < n; i++) {
      const a = await read.get(i), b = made.render(i);
      assertEquals(a.keypoints, b.keypoints);
      assertEquals([a.center, a.scale, a.headBox], [b.center, b.scale, b.headBox]);
      assertEquals(a.image, b.image);
    }
  }
  await Deno.remove(out, { recursive: true });
});

Deno.test("records follow bearpaw's visibility: missing (0, 0, 0), occluded 0, visible 1", () => {
  const s = new SynthPose(dataConfig().synth, "train", 32).render(0, { pixels: false });
  const kps = [...s.keypoints];
  kps[0] = [0, 0, 0];
  kps[1] = [5, 6, 1];
  kps[2] = [7, 8, 2];
  const r = toBearpawRecord({ ...s, keypoints: kps }, "x.png", true);
  assertEquals(r.joint_self.slice(0, 3), [[0, 0, 0], [5, 6, 0], [7, 8, 1]]);
  assertEquals([r.isValidation, r.img_paths], [1, "x.png"]);
});

Deno.test("deno task synth writes the layout and rejects bad arguments by name", async () => {
  const out = await Deno.makeTempDir();
  const log = console.log;
  console.log = () => {};
  try {
    await synthMain(["--out", out, "--count", "2", "--seed", "3", "--image-size", "24"]);
  } finally {
    console.log = log;
  }
  const records = JSON.parse(await Deno.readTextFile(join(out, "mpii_annotations.json")));
  assertEquals(records.map((r: { img_paths: string }) => r.img_paths), [
    "train_000000.png",
    "train_000001.png",
  ]);
  assertEquals(records[0].img_width, 24);
  await assertRejects(() => synthMain(["--count", "2"]), KitError, "--out is required");
  await assertRejects(
    () => synthMain(["--out", out, "--count", "two"]),
    KitError,
    "--count must be an integer",
  );
  await assertRejects(
    () => synthMain(["--out", out, "--count", "1", "--set", "synth.nois=1"]),
    KitError,
    'unknown config key "data.synth.nois"',
  );
  await Deno.remove(out, { recursive: true });
});
