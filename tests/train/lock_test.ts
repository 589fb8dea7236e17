import { assert, assertEquals, assertRejects } from "@std/assert";
import { join } from "@std/path";
import { KitError } from "../../lib/io/errors.ts";
import { LOCK_FILE, lockRunDir } from "../../lib/train/lock.ts";

/** The repository's deno.json: the racers' scripts live in a temporary folder. */
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;

/** A pid that ran and is gone: a finished child's. */
async function deadPid(): Promise<number> {
  const child = new Deno.Command("true").spawn();
  await child.status;
  return child.pid;
}

Deno.test("a second writer into a locked run directory is refused with the holder's pid", async () => {
  const run = await Deno.makeTempDir();
  const lock = await lockRunDir(run);
  await assertRejects(() => lockRunDir(run), KitError, "already being trained by this process");
  // Another live process holding it: this test's parent shell stands in for it.
  await lock.release();
  const other = new Deno.Command("sleep", { args: ["30"] }).spawn();
  try {
    await Deno.writeTextFile(
      join(run, LOCK_FILE),
      JSON.stringify({ pid: other.pid, host: Deno.hostname(), started: null, since: "now" }),
    );
    await assertRejects(
      () => lockRunDir(run),
      KitError,
      `in use by another training run (pid ${other.pid}`,
    );
  } finally {
    other.kill();
    await other.status;
  }
  await Deno.remove(run, { recursive: true });
});

Deno.test("a stale lock left by a killed run is taken over, and released at the end", async () => {
  const run = await Deno.makeTempDir();
  const pid = await deadPid();
  await Deno.writeTextFile(
    join(run, LOCK_FILE),
    JSON.stringify({ pid, host: Deno.hostname(), started: null, since: "then" }),
  );
  const lock = await lockRunDir(run);
  const held = JSON.parse(await Deno.readTextFile(join(run, LOCK_FILE)));
  assertEquals(held.pid, Deno.pid);
  await lock.release();
  assert(!(await Deno.stat(join(run, LOCK_FILE)).then(() => true, () => false)));
  // A lock file cut short by a kill while it was written is stale too.
  await Deno.writeTextFile(join(run, LOCK_FILE), '{"pid": 12');
  await (await lockRunDir(run)).release();
  await Deno.remove(run, { recursive: true });
});

Deno.test("two trainings started together into one directory: exactly one gets the lock", async () => {
  const run = await Deno.makeTempDir();
  const script = `import { lockRunDir } from "${new URL(
    "../../lib/train/lock.ts",
    import.meta.url,
  )}";
try { await lockRunDir(Deno.args[0]); await new Promise((r) => setTimeout(r, 1500)); console.log("locked"); }
catch (e) { console.log("refused: " + e.message); }`;
  const file = join(run, "racer.ts");
  await Deno.writeTextFile(file, script);
  const runDir = join(run, "run");
  const racers = [0, 1].map(() =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--config", CONFIG, file, runDir],
      stdout: "piped",
    })
      .output()
  );
  const outs = (await Promise.all(racers)).map((o) => new TextDecoder().decode(o.stdout).trim());
  assertEquals(outs.filter((o) => o === "locked").length, 1, outs.join("\n"));
  assert(outs.some((o) => o.includes("in use by another training run")), outs.join("\n"));
  await Deno.remove(run, { recursive: true });
});
