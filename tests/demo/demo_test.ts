import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "@std/path";
import { launchChromium } from "../../lib/browser/chromium.ts";
import { demoCrop, type DemoKeypoint } from "../../lib/demo/pose.ts";
import { startDemoServer } from "../../lib/demo/server.ts";
import { buildModel } from "../../lib/models/build.ts";
import { useTestBackend } from "../../lib/testing/mod.ts";
import { saveCheckpoint } from "../../lib/train/checkpoint.ts";
import { resolveExperiment } from "../../lib/train/config.ts";
import { encodeBase64 } from "../../lib/viz/base64.ts";
import { encodePng } from "../../lib/viz/draw.ts";

await useTestBackend();

/** Pixels from the page and from `deno task predict` may differ by float rounding only. */
const TOLERANCE_PX = 1;

Deno.test("a whole image's crop is predict's default and a box's is the MPII person crop", () => {
  const whole = demoCrop(640, 480);
  assertEquals(whole.center, [319.5, 239.5]);
  assertEquals(whole.scale, 3.2);
  assertEquals(whole.crop, { padding: 1, shiftY: 0 });
  const box = demoCrop(640, 480, [100, 50, 300, 450]);
  assertEquals(box.center, [200, 250]);
  assertEquals(box.scale, 2);
  assertEquals(box.crop, { padding: 1.25, shiftY: 15 });
});

/** A 2-stack hourglass checkpoint with seeded initial weights: no training needed to compare. */
async function tinyCheckpoint(dir: string): Promise<void> {
  const config = resolveExperiment({
    name: "demo-test",
    data: { inputSize: 64 },
    model: { kind: "hourglass", inputSize: 64, stacks: 2, features: 16, depth: 2 },
  });
  const net = buildModel(config.model, { seed: 7 });
  try {
    await saveCheckpoint(dir, {
      model: net.graph,
      config: config as unknown as Record<string, never>,
      state: { step: 1, epoch: 1, batchInEpoch: 0, scores: [0], bestScore: 0, bestStep: 1 },
      isBest: true,
    });
  } finally {
    net.graph.dispose();
  }
}

/** A 120 x 96 RGB test card: gradients and discs, so every crop looks different. */
function testCard(): Uint8Array {
  const width = 120, height = 96;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const disc = (x - 40) ** 2 + (y - 30) ** 2 < 200 || (x - 85) ** 2 + (y - 70) ** 2 < 150;
      data.set([(x * 2) % 256, (y * 3) % 256, disc ? 250 : (x * y) % 97], (y * width + x) * 3);
    }
  }
  return encodePng({ width, height, data });
}

async function predictCli(
  checkpoint: string,
  image: string,
  out: string,
  crop?: { center: readonly number[]; scale: number },
): Promise<DemoKeypoint[]> {
  const args = ["run", "-A", "lib/cli/predict.ts", "--checkpoint", checkpoint, "--out", out];
  if (crop) args.push("--center", crop.center.join(","), "--scale", String(crop.scale));
  const r = await new Deno.Command(Deno.execPath(), {
    args: [...args, "--backend", "cpu", image],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(r.success, `deno task predict failed: ${new TextDecoder().decode(r.stderr)}`);
  const record = JSON.parse(await Deno.readTextFile(join(out, "card.json")));
  return record.keypoints;
}

function assertSameKeypoints(page: DemoKeypoint[], cli: DemoKeypoint[], what: string): void {
  assertEquals(page.map((k) => k.joint), cli.map((k) => k.joint));
  page.forEach((k, j) => {
    const d = Math.hypot(k.x - cli[j]!.x, k.y - cli[j]!.y);
    assert(
      d <= TOLERANCE_PX,
      `${what}: ${k.joint} is at (${k.x.toFixed(2)}, ${k.y.toFixed(2)}) in the page but at ` +
        `(${cli[j]!.x.toFixed(2)}, ${cli[j]!.y.toFixed(2)}) from deno task predict (${
          d.toFixed(2)
        } px)`,
    );
  });
}

Deno.test({
  name:
    "the demo page predicts the same keypoints as deno task predict for a picked, boxed and dropped image",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const tmp = await Deno.makeTempDir({ prefix: "posekit-demo-test-" });
    const run = join(tmp, "run");
    const image = join(tmp, "card.png");
    await tinyCheckpoint(run);
    await Deno.writeFile(image, testCard());
    // The box the test drags below, and the crop `predict --center --scale` makes of it.
    const box = [20, 10, 90, 90] as const;
    const boxCrop = demoCrop(120, 96, box);
    // The two predict runs, the bundling and Chromium's start overlap: each spends most of its
    // time starting up.
    const [cliWhole, cliBox, server] = await Promise.all([
      predictCli(run, image, join(tmp, "a")),
      predictCli(run, image, join(tmp, "b"), boxCrop),
      startDemoServer(run, { port: 0 }),
    ]);
    const browser = await launchChromium({ width: 1200, height: 900 });
    try {
      assertEquals(server.meta.outputIndex, 1); // the second stack's heatmaps
      const page = await browser.newPage();
      // What a person would see when a step fails: the page's status line and what it threw.
      const seen = async () => {
        const status = await page.evaluate<string>("document.getElementById('status').innerText")
          .catch(() => "(no status line)");
        const errors = page.messages.filter((m) => m.kind === "exception" || m.level === "error");
        return `the page shows "${status}"${
          errors.length ? `; it logged: ${errors.map((m) => m.text).join(" | ")}` : ""
        }`;
      };
      const waitFor = async (condition: string, what: string) => {
        try {
          await page.waitFor(`(${condition}) || posekitDemo.error`, what);
        } catch (e) {
          throw new Error(`${(e as Error).message}; ${await seen()}`);
        }
        const error = await page.evaluate<string | null>("posekitDemo.error ?? null");
        assertEquals(error, null, `${what}: ${await seen()}`);
      };
      await page.goto(`${server.url}?backend=cpu`);
      await waitFor("posekitDemo.ready", "the demo did not load its checkpoint");
      assertStringIncludes(await page.evaluate<string>("posekitDemo.backend"), "cpu");

      // Pick the image as a user does; the whole image is predicted at once.
      await page.setInputFiles("#file", [image]);
      await waitFor("posekitDemo.predictions >= 1", "no prediction after picking an image");
      const whole = await page.evaluate<{ keypoints: DemoKeypoint[] }>("posekitDemo.last");
      assertSameKeypoints(whole.keypoints, cliWhole, "whole");
      assertEquals(await page.evaluate("document.querySelectorAll('#heatmaps canvas').length"), 16);

      // Drag a box around part of the image: the crop of `predict --center --scale`.
      const rect = await page.evaluate<{ x: number; y: number }>(
        "(() => { const r = document.getElementById('view').getBoundingClientRect(); return { x: r.left, y: r.top }; })()",
      );
      // The 120 x 96 card is shown 3 times its size (VIEW_MAX / MAX_ZOOM in app.ts).
      const zoom = await page.evaluate<number>("document.getElementById('view').width / 120");
      assertEquals(zoom, 3);
      await page.drag([rect.x + box[0] * zoom, rect.y + box[1] * zoom], [
        rect.x + box[2] * zoom,
        rect.y + box[3] * zoom,
      ]);
      await waitFor("posekitDemo.predictions >= 2", "no prediction after dragging a box");
      const boxed = await page.evaluate<
        { keypoints: DemoKeypoint[]; box: number[]; center: number[]; scale: number }
      >("posekitDemo.last");
      assertEquals(boxed.box, [...box]);
      assertEquals([boxed.center, boxed.scale], [boxCrop.center, boxCrop.scale]);
      assertSameKeypoints(boxed.keypoints, cliBox, "box");
      // Drop the image on the page, as from a file manager: a new image, predicted whole.
      const b64 = encodeBase64(await Deno.readFile(image));
      await page.evaluate(`(() => {
        const bytes = Uint8Array.from(atob("${b64}"), (c) => c.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([bytes], "card.png", { type: "image/png" }));
        document.body.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true }));
      })()`);
      await waitFor("posekitDemo.predictions >= 3", "no prediction after dropping an image");
      const dropped = await page.evaluate<{ keypoints: DemoKeypoint[]; box: null }>(
        "posekitDemo.last",
      );
      assertEquals(dropped.box, null);
      assertSameKeypoints(dropped.keypoints, cliWhole, "dropped");
      const thrown = page.messages.filter((m) => m.kind === "exception");
      assertEquals(thrown, [], "the page threw");
    } finally {
      await browser.close();
      await server.stop();
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  },
});
