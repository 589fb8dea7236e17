import { assertEquals } from "@std/assert";
import { checkExecuted, notebookModule } from "../../lib/cli/notebooks.ts";

const cell = (outputs: unknown[], tags: string[] = []) => ({
  cell_type: "code",
  metadata: { tags },
  source: "await show()",
  outputs: outputs as { output_type: string }[],
});

Deno.test("an executed notebook with figures where tagged passes the check", () => {
  const nb = {
    cells: [
      cell([{ output_type: "display_data", data: { "image/svg+xml": "<svg/>" } }], ["figure"]),
      cell([{ output_type: "stream" }]),
    ],
  };
  assertEquals(checkExecuted(nb), []);
});

Deno.test("an error output or a figure cell without an image is reported by cell number", () => {
  const nb = {
    cells: [
      { cell_type: "markdown", source: "# t" },
      cell([{ output_type: "error", ename: "TypeError", evalue: "x is undefined" }]),
      cell([{ output_type: "display_data", data: { "text/plain": "hi" } }], ["figure"]),
    ],
  };
  const problems = checkExecuted(nb);
  assertEquals(problems.length, 2);
  assertEquals(problems[0], "cell 2: TypeError: x is undefined");
  assertEquals(problems[1]!.startsWith('cell 3: tagged "figure" but shows no image'), true);
});

Deno.test("a notebook's code cells become one module with repository paths made absolute", () => {
  const nb = {
    cells: [
      { cell_type: "markdown", source: "# a" },
      {
        cell_type: "code",
        source: ['import { show } from "../lib/viz/mod.ts";\n', "await show(x);"],
      },
      { cell_type: "code", source: 'const p = "../runs/x";' },
    ],
  };
  assertEquals(
    notebookModule(nb, "file:///repo"),
    '// cell 2\nimport { show } from "file:///repo/lib/viz/mod.ts";\nawait show(x);\n\n' +
      '// cell 3\nconst p = "file:///repo/runs/x";\n',
  );
});
