import { assertEquals } from "@std/assert";
import { join } from "@std/path";
import { writeFileAtomic } from "../../lib/io/mod.ts";

Deno.test("an atomic write replaces the file and leaves no temporary behind", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "sub", "state.json");
  await writeFileAtomic(path, "old");
  await writeFileAtomic(path, "new");
  assertEquals(await Deno.readTextFile(path), "new");
  assertEquals([...Deno.readDirSync(join(dir, "sub"))].map((e) => e.name), ["state.json"]);
  await Deno.remove(dir, { recursive: true });
});
