import { assertEquals, assertRejects } from "@std/assert";
import { join } from "@std/path";
import { dirNames, ifExists } from "../../lib/io/missing.ts";

Deno.test("ifExists reads what is there, gives undefined for a missing path, and throws other failures", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "a.json"), "{}");
    assertEquals(await ifExists(() => Deno.readTextFile(join(dir, "a.json"))), "{}");
    assertEquals(await ifExists(() => Deno.readTextFile(join(dir, "b.json"))), undefined);
    assertEquals(await ifExists(() => dirNames(join(dir, "no-such-folder"))), undefined);
    // A folder read as a file is not "missing": the error reaches the caller.
    await assertRejects(() => ifExists(() => Deno.readTextFile(dir)));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dirNames lists the entries a filter keeps", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(dir, "seed-1"));
    await Deno.mkdir(join(dir, "notes"));
    await Deno.writeTextFile(join(dir, "seed-2"), "a file, not a run");
    assertEquals((await dirNames(dir)).sort(), ["notes", "seed-1", "seed-2"]);
    const seeds = await dirNames(dir, (e) => e.isDirectory && /^seed-\d+$/.test(e.name));
    assertEquals(seeds, ["seed-1"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
