import assert from "node:assert/strict";
import { join } from "node:path";
import { z } from "zod";
import { createRecorder } from "../logger.ts";
import { lungMasksFrom } from "../lung_masks.ts";
import { createRegistry } from "../registry.ts";
import { defineSegmenter } from "../segmenter.ts";
import { writeSyntheticDataset } from "../synth/mod.ts";
import { optionsOnlyRegistry } from "../testing/options_only_registry.ts";
import type { Volume } from "../volume.ts";
import type { CliContext } from "./context.ts";
import { preprocessCommand } from "./preprocess.ts";

// A working "lung_reference" stand-in (core tests import no plugins): the
// synthetic lungs' labels are not known here, so air inside the body.
const thresholdSegmenter = defineSegmenter({
  id: "lung_reference",
  description: "test",
  options: z.object({
    threshold_hu: z.number().default(-600).describe("Threshold"),
  }),
  create: (options) => ({
    segment: (volume: Volume) => {
      const a = new Uint8Array(volume.data.length);
      for (let i = 0; i < a.length; i++) {
        const v = volume.data[i];
        if (v < options.threshold_hu && v > -930) a[i] = 1;
      }
      return Promise.resolve(
        lungMasksFrom(
          volume,
          a,
          new Uint8Array(a.length),
          "lung_reference",
          [],
        ),
      );
    },
  }),
});

function testContext() {
  const lines: string[] = [];
  const recorder = createRecorder();
  const registry = createRegistry([
    thresholdSegmenter,
    ...optionsOnlyRegistry.all().filter((d) => d.kind !== "segmenter"),
  ]);
  const context: CliContext = {
    registry,
    logger: recorder.logger,
    progress: recorder.progress,
    print: (line) => lines.push(line),
  };
  return { context, lines };
}

async function run(context: CliContext, args: string[]) {
  await preprocessCommand(context).exitOverride().parseAsync(args, {
    from: "user",
  });
}

Deno.test("pleura preprocess fills the experiment's cache once and reuses it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pleura_preprocess_cli_" });
  try {
    const data = join(dir, "data");
    await writeSyntheticDataset(data, {
      scans: 2,
      seed: 3,
      shape: { size: 48, slices: 24 },
      subsets: 2,
    });
    const config = join(dir, "exp.yaml");
    await Deno.writeTextFile(
      config,
      [
        "data:",
        `  dataset: ${data}`,
        `  cache_dir: ${join(dir, "cache")}`,
        "  train_subsets: [0]",
        "  val_subsets: [1]",
        "  test_subsets: [1]",
        "model:",
        "  segmenter: { plugin: lung_reference }",
        "  backbone: { plugin: resunet }",
        "  anchor_head: { plugin: rpn3d }",
        "  miner: { plugin: topk }",
        "  loss: { plugin: balanced }",
      ].join("\n"),
    );
    const first = testContext();
    await run(first.context, [config]);
    assert.equal(first.lines.length, 1);
    assert.match(
      first.lines[0],
      /^preprocessed 2, already cached 0, failed 0 of 2 scans \(subsets 0,1, segmenter "lung_reference", train\) → /,
    );
    const cacheDir = first.lines[0].split(" → ")[1].split(" [")[0];
    const files = [...Deno.readDirSync(cacheDir)].map((e) => e.name).sort();
    assert.equal(files.filter((f) => f.endsWith(".json")).length, 2);
    assert.equal(files.filter((f) => f.endsWith("_mask.mhd")).length, 2);
    const second = testContext();
    await run(second.context, [config]);
    assert.match(
      second.lines[0],
      /^preprocessed 0, already cached 2, failed 0 of 2 scans/,
    );
    // Another threshold is another cache folder; --subsets limits the scans.
    const third = testContext();
    await run(third.context, [
      config,
      "--set",
      "model.segmenter.options.threshold_hu=-500",
      "--subsets",
      "1",
      "--mode",
      "infer",
    ]);
    assert.match(
      third.lines[0],
      /^preprocessed 1, already cached 0, failed 0 of 1 scans \(subsets 1, segmenter "lung_reference", infer\)/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pleura preprocess rejects a bad --mode or --subsets", async () => {
  const { context } = testContext();
  await assert.rejects(() => run(context, ["x.yaml", "--mode", "fast"]), {
    name: "UsageError",
    message: 'preprocess: --mode is "fast", expected "train" or "infer"',
  });
  await assert.rejects(() => run(context, ["x.yaml", "--subsets", "1,a"]), {
    name: "UsageError",
  });
});
