/**
 * `deno task eval`: not built yet (issue 6).
 *
 * @module
 */

import { runMain } from "./args.ts";
import { KitError } from "../io/errors.ts";

if (import.meta.main) {
  await runMain(() => {
    throw new KitError("deno task eval is not built yet (issue 6)");
  });
}
