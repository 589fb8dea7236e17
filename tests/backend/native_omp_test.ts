import { assertEquals } from "@std/assert";
import {
  limitOmpThreads,
  ompMaxThreads,
  setOmpThreads,
  withOmpThreads,
} from "../../lib/backend/native_omp.ts";

const gomp = ompMaxThreads() !== null;
const SKIP = gomp ? "" : " (skipped: libgomp.so.1 not found)";

Deno.test({
  name: `an OpenMP thread limit holds inside its scope and the pool's count comes back after it, ` +
    `even when the scope throws${SKIP}`,
  ignore: !gomp,
  fn: () => {
    const before = ompMaxThreads()!;
    try {
      setOmpThreads(3);
      assertEquals(withOmpThreads(1, () => ompMaxThreads()), 1);
      assertEquals(ompMaxThreads(), 3);
      let threw = false;
      try {
        withOmpThreads(2, () => {
          throw new Error("inside");
        });
      } catch {
        threw = true;
      }
      assertEquals([threw, ompMaxThreads()], [true, 3]);
      const restore = limitOmpThreads(1);
      assertEquals(ompMaxThreads(), 1);
      restore();
      assertEquals(ompMaxThreads(), 3);
    } finally {
      setOmpThreads(before);
    }
  },
});
