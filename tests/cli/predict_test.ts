import { assertEquals } from "@std/assert";
import { join } from "@std/path";
import { existingOutputs, outputStems } from "../../lib/cli/predict.ts";

Deno.test("outputs never land on an input image or on each other", async () => {
  const dir = await Deno.makeTempDir();
  for (const sub of ["a", "b"]) {
    await Deno.mkdir(join(dir, sub));
    await Deno.writeFile(join(dir, sub, "photo.png"), new Uint8Array(1));
  }
  // Two inputs of one base name get distinct outputs.
  assertEquals(
    await outputStems([join(dir, "a", "photo.png"), join(dir, "b", "photo.png")], join(dir, "out")),
    ["photo", "photo-2"],
  );
  // --out is the input's own folder: <out>/photo.png would be the photo itself.
  assertEquals(await outputStems([join(dir, "a", "photo.png")], join(dir, "a")), ["photo-2"]);
  await Deno.writeFile(join(dir, "a", "photo-2.json"), new Uint8Array(1));
  assertEquals(
    await outputStems(
      [join(dir, "a", "photo.png"), join(dir, "a", "photo-2.json")],
      join(dir, "a"),
    ),
    ["photo-3", "photo-2-2"],
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("outputs of an earlier run in --out are found so predict refuses to replace them", async () => {
  const out = await Deno.makeTempDir();
  assertEquals(await existingOutputs(["photo", "other"], out), []);
  await Deno.writeFile(join(out, "photo.png"), new Uint8Array(1));
  assertEquals(await existingOutputs(["photo", "other"], out), [join(out, "photo.png")]);
  await Deno.remove(out, { recursive: true });
});
