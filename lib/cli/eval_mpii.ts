/**
 * `deno task eval-mpii`: not built yet (issue 5).
 *
 * @module
 */

import { runMain } from "./args.ts";
import { KitError } from "../io/errors.ts";

if (import.meta.main) {
  await runMain(() => {
    throw new KitError("deno task eval-mpii is not built yet (issue 5)");
  });
}
