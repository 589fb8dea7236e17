import { assertEquals, assertRejects } from "@std/assert";
import { join } from "@std/path";
import { KitError } from "../../lib/io/errors.ts";
import { readRunLog, RunLog } from "../../lib/train/log.ts";

const step = (n: number) => JSON.stringify({ kind: "step", step: n, loss: 1 / n });

Deno.test("resuming keeps every good line of a log whose last line a kill cut short", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "log.jsonl");
  const lines = Array.from({ length: 14 }, (_, i) => step(i + 1));
  await Deno.writeTextFile(path, lines.join("\n") + "\n" + '{"kind":"step","st');
  const log = new RunLog(path);
  assertEquals(await log.truncateAfter(10), 1);
  assertEquals((await readRunLog(path)).map((r) => r.step), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a validation the checkpoint did not include is dropped on resume", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "log.jsonl");
  const val = JSON.stringify({ kind: "val", step: 3, epoch: 1, pckh: {} });
  await Deno.writeTextFile(path, [step(1), step(2), step(3), val, ""].join("\n"));
  await new RunLog(path).truncateAfter(3, 0); // checkpointed at step 3 before epoch 1's validation
  assertEquals((await readRunLog(path)).map((r) => r.kind), ["step", "step", "step"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("reading a log skips a cut last line but reports a bad line in the middle", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "log.jsonl");
  await Deno.writeTextFile(path, `${step(1)}\n${step(2)}\n{"kind":`);
  assertEquals((await readRunLog(path)).length, 2);
  await Deno.writeTextFile(path, `${step(1)}\nnot json\n${step(2)}\n`);
  await assertRejects(() => readRunLog(path), KitError, "log.jsonl:2: not a JSON record");
  await Deno.remove(dir, { recursive: true });
});
