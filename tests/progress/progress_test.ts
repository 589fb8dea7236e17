import { assertEquals, assertMatch } from "@std/assert";
import { formatDuration, Progress } from "../../lib/progress/mod.ts";

Deno.test("durations print as seconds, minutes or hours", () => {
  assertEquals(formatDuration(42), "42s");
  assertEquals(formatDuration(187), "3m07s");
  assertEquals(formatDuration(3720), "1h02m");
  assertEquals(formatDuration(Number.NaN), "?");
});

Deno.test("rate and ETA come from measured throughput", () => {
  let now = 0;
  const out: string[] = [];
  const p = new Progress({
    total: 10,
    unit: "steps",
    live: false,
    everyMs: 0,
    write: (s) => out.push(s),
    now: () => now,
  });
  now = 2000;
  p.tick(4, { loss: 0.5 });
  assertEquals(p.rate, 2);
  assertEquals(p.eta, 3);
  assertEquals(out[0]!.includes("4/10  loss 0.5  2 steps/s  elapsed 2s  ETA 3s"), true, out[0]);
});

Deno.test("plain mode prints at most one line per interval, live mode redraws in place", () => {
  let now = 0;
  const out: string[] = [];
  const p = new Progress({
    total: 100,
    live: false,
    everyMs: 1000,
    write: (s) => out.push(s),
    now: () => now,
  });
  for (let i = 0; i < 10; i++) {
    now += 300;
    p.tick();
  }
  assertEquals(out.length, 3); // at 300 ms, 1500 ms, 2700 ms
  const live: string[] = [];
  const q = new Progress({ total: 2, live: true, write: (s) => live.push(s), now: () => now });
  q.tick();
  assertEquals(live[0]!.startsWith("\r\x1b[2K"), true);
});

Deno.test("the final line of a finished job shows no ETA", () => {
  let now = 0;
  const out: string[] = [];
  const p = new Progress({
    total: 2,
    live: false,
    everyMs: 1e9,
    write: (s) => out.push(s),
    now: () => now,
  });
  now = 1000;
  p.tick(2);
  p.done();
  assertEquals(out.at(-1)!.includes("ETA"), false);
  assertMatch(out.at(-1)!, /2\/2/);
});
