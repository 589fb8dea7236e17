import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "@std/path";

/** A notebook with what a reader must never see: an error, a broken image, a printed object. */
function brokenNotebook(): unknown {
  const code = (n: number, outputs: unknown[]) => ({
    cell_type: "code",
    execution_count: n,
    metadata: {},
    source: [`// cell ${n}`],
    outputs,
  });
  return {
    nbformat: 4,
    nbformat_minor: 4,
    metadata: {
      kernelspec: { display_name: "Deno", language: "typescript", name: "deno" },
      language_info: { name: "typescript" },
    },
    cells: [
      { cell_type: "markdown", metadata: {}, source: ["# A broken notebook"] },
      code(1, [{
        output_type: "error",
        ename: "TypeError",
        evalue: "boom",
        traceback: ["TypeError: boom"],
      }]),
      code(2, [{
        output_type: "display_data",
        metadata: {},
        data: {
          "image/svg+xml": '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40">' +
            '<image href="data:image/png;base64,AAAA" width="20" height="20"/></svg>',
          "text/plain": "a figure with a broken image",
        },
      }]),
      code(3, [{
        output_type: "execute_result",
        execution_count: 3,
        metadata: {},
        data: { "text/plain": "[object Object]" },
      }]),
    ],
  };
}

Deno.test({
  name: "browser-check fails naming the notebook and cell of each problem, and stops its server",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const tmp = await Deno.makeTempDir({ prefix: "posekit-browser-check-test-" });
    try {
      const nb = join(tmp, "broken.ipynb");
      await Deno.writeTextFile(nb, JSON.stringify(brokenNotebook(), null, 1));
      const r = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "lib/cli/browser_check.ts", "--out", join(tmp, "shots"), nb],
        env: { NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stdout = new TextDecoder().decode(r.stdout);
      const text = stdout + new TextDecoder().decode(r.stderr);
      assertEquals(r.code, 2, text);
      for (
        const expected of [
          "broken.ipynb cell 1 (In [1]) output 0: error output TypeError: boom",
          "broken.ipynb cell 2 (In [2]) output 0: image not decoded: <image> in SVG",
          'broken.ipynb cell 3 (In [3]) output 0: shows raw "[object Object]" text',
        ]
      ) assertStringIncludes(text, expected);
      assert((await Deno.stat(join(tmp, "shots", "broken.png"))).size > 1000);
      // The server it started is gone.
      const url = stdout.match(/jupyter notebook at (http:\/\/127\.0\.0\.1:\d+)/)?.[1];
      assert(url, text);
      const answered = await fetch(`${url}/api/status`).then(async (res) => {
        await res.body?.cancel();
        return true;
      }).catch(() => false);
      assertEquals(answered, false, `the jupyter server at ${url} still answers`);
    } finally {
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  },
});
