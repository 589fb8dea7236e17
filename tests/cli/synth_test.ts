import { assertEquals, assertRejects } from "@std/assert";
import { join } from "@std/path";
import { main } from "../../lib/cli/synth.ts";
import { KitError } from "../../lib/io/errors.ts";

Deno.test("synth refuses a folder that holds files unless --overwrite", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(join(dir, "mpii_annotations.json"), "[real annotations]");
  await assertRejects(
    () => main(["--out", dir, "--count", "1", "--image-size", "48", "--input-size", "32"]),
    KitError,
    "is not empty",
  );
  assertEquals(await Deno.readTextFile(join(dir, "mpii_annotations.json")), "[real annotations]");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("synth refuses an absurd size before writing anything, unless --force", async () => {
  const dir = join(await Deno.makeTempDir(), "out");
  await assertRejects(
    () => main(["--out", dir, "--count", "1e12"]),
    KitError,
    "pass --force if you mean it",
  );
  await assertRejects(() => Deno.stat(dir), Deno.errors.NotFound);
  await assertRejects(
    () => main(["--out", dir, "--count", "200000", "--image-size", "2048"]),
    KitError,
    "GiB",
  );
});
