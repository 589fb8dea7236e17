import { assertRejects } from "@std/assert";
import { join } from "@std/path";
import { checkOutputFile, KitError, prepareOutputDir } from "../../lib/io/mod.ts";

Deno.test("an output folder that is a file, or lies under a file, is refused by name", async () => {
  const dir = await Deno.makeTempDir();
  const file = join(dir, "notes.txt");
  await Deno.writeTextFile(file, "mine");
  await assertRejects(
    () => prepareOutputDir(file, { what: "predictions" }),
    KitError,
    `${file}: --out names a file, not a folder`,
  );
  await assertRejects(
    () => prepareOutputDir(join(file, "sub"), { what: "predictions" }),
    KitError,
    "a parent of",
  );
  await assertRejects(() => checkOutputFile(join(file, "p.h5")), KitError, "a parent of");
  await assertRejects(() => checkOutputFile(dir), KitError, "names a folder, not a file");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a non-empty folder is refused unless overwriting is asked for", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(join(dir, "mpii_annotations.json"), "[]");
  await assertRejects(
    () => prepareOutputDir(dir, { what: "the dataset", empty: true }),
    KitError,
    "is not empty",
  );
  await prepareOutputDir(dir, { what: "the dataset", empty: true, overwrite: true });
  await prepareOutputDir(join(dir, "new", "deep"), { what: "the dataset", empty: true });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a folder that cannot be written is refused before any work", async () => {
  // /proc refuses new files even to root, where permission bits would not.
  if (Deno.build.os !== "linux") return;
  await assertRejects(
    () => prepareOutputDir("/proc/posekit-out", { what: "predictions" }),
    KitError,
    "/proc/posekit-out: cannot create the --out folder",
  );
  await assertRejects(
    () => prepareOutputDir("/proc", { what: "predictions" }),
    KitError,
    "cannot write",
  );
});
