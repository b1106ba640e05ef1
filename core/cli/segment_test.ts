import assert from "node:assert/strict";
import { join } from "node:path";
import { z } from "zod";
import { readMetaImage, writeMetaImage } from "../io/metaimage.ts";
import { createRecorder } from "../logger.ts";
import { lungMasksFrom } from "../lung_masks.ts";
import { createRegistry } from "../registry.ts";
import { defineSegmenter } from "../segmenter.ts";
import { chestPhantom } from "../testing/segmenter_contract.ts";
import type { Volume } from "../volume.ts";
import type { CliContext } from "./context.ts";
import { UsageError } from "./context.ts";
import { labelVolume, parseOptionSets, segmentCommand } from "./segment.ts";

// A threshold segmenter standing in for the plugins (core tests do not
// import plugins): left half of the air inside the body is lung 1.
const testSegmenter = defineSegmenter({
  id: "test_threshold",
  description: "test",
  options: z.object({
    threshold_hu: z.number().max(0).default(-600).describe("Threshold"),
  }),
  create: (options) => ({
    segment: (volume: Volume) => {
      const nx = volume.shape[2];
      const a = new Uint8Array(volume.data.length);
      const b = new Uint8Array(volume.data.length);
      for (let i = 0; i < a.length; i++) {
        const v = volume.data[i];
        if (v < options.threshold_hu && v > -950) {
          if (i % nx < nx / 2) a[i] = 1;
          else b[i] = 1;
        }
      }
      return Promise.resolve(lungMasksFrom(volume, a, b, "test_threshold", [{
        step: "threshold",
        detail: `below ${options.threshold_hu} HU`,
      }]));
    },
  }),
});

function testContext() {
  const lines: string[] = [];
  const recorder = createRecorder();
  const context: CliContext = {
    registry: createRegistry([testSegmenter]),
    logger: recorder.logger,
    progress: recorder.progress,
    print: (line) => lines.push(line),
  };
  return { context, lines, events: recorder.events };
}

async function run(context: CliContext, args: string[]) {
  await segmentCommand(context).exitOverride().parseAsync(args, {
    from: "user",
  });
}

Deno.test("parseOptionSets() reads values as YAML and rejects pairs without =", () => {
  assert.deepEqual(
    parseOptionSets([
      "threshold_hu=-150",
      "volume_l=[0.5, 8]",
      "keep=true",
      "name=abc",
    ]),
    {
      threshold_hu: -150,
      volume_l: [0.5, 8],
      keep: true,
      name: "abc",
    },
  );
  assert.throws(() => parseOptionSets(["threshold_hu"]), {
    name: "UsageError",
    message:
      'segment: --set "threshold_hu" is not option=value (e.g. threshold_hu=-150)',
  });
});

Deno.test("pleura segment writes a 1/2 label volume on the scan's grid and overlay PNGs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pleura_segment_cli_" });
  try {
    const { volume } = chestPhantom({
      slices: 12,
      direction: [1, 0, 0, 0, -1, 0, 0, 0, -1],
    });
    const input = join(dir, "scan7.mhd");
    await writeMetaImage(input, volume);
    const out = join(dir, "out");
    const { context, lines } = testContext();
    await run(context, [
      "--input",
      input,
      "--out",
      out,
      "--segmenter",
      "test_threshold",
      "--set",
      "threshold_hu=-700",
      "--png",
    ]);
    const labels = await readMetaImage(join(out, "scan7_lungmask.mhd"));
    assert.deepEqual(labels.shape, volume.shape);
    assert.deepEqual(labels.spacingMm, volume.spacingMm);
    assert.deepEqual(labels.originMm, volume.originMm);
    assert.deepEqual(labels.direction, volume.direction);
    const [, , nx] = volume.shape;
    for (let i = 0; i < volume.data.length; i++) {
      const v = volume.data[i];
      const expected = v < -700 && v > -950 ? (i % nx < nx / 2 ? 1 : 2) : 0;
      assert.equal(labels.data[i], expected, `voxel ${i}`);
    }
    const pngs = [...Deno.readDirSync(out)].filter((e) =>
      e.name.endsWith(".png")
    );
    assert.ok(pngs.length >= 3, `${pngs.length} PNGs`);
    const png = await Deno.readFile(join(out, pngs[0].name));
    assert.deepEqual([...png.subarray(1, 4)], [80, 78, 71]);
    assert.equal(lines.length, 1);
    assert.match(
      lines[0],
      /^scan7: 2 lungs, \d+\.\d\d \+ \d+\.\d\d L; threshold → .*scan7_lungmask\.mhd \(\+\d PNG\)/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pleura segment goes through a folder of scans with progress", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pleura_segment_cli_" });
  try {
    for (const name of ["a", "b"]) {
      await writeMetaImage(
        join(dir, `${name}.mhd`),
        chestPhantom({ slices: 6 }).volume,
      );
    }
    const { context, lines, events } = testContext();
    await run(context, [
      "--input",
      dir,
      "--out",
      join(dir, "out"),
      "--segmenter",
      "test_threshold",
    ]);
    assert.equal(lines.length, 2);
    assert.deepEqual(
      events.filter((e) => e.kind === "step").map((e) =>
        e.kind === "step" && e.done
      ),
      [1, 2],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pleura segment names what is wrong with its flags", async () => {
  const { context } = testContext();
  await assert.rejects(() => run(context, ["--out", "x"]), {
    name: "UsageError",
    message: "segment: missing option --input",
  });
  await assert.rejects(
    () =>
      run(context, [
        "--input",
        "/nonexistent.mhd",
        "--out",
        "x",
        "--segmenter",
        "nope",
      ]),
    (e: Error) =>
      e instanceof UsageError &&
      e.message ===
        'segment: unknown segmenter "nope", expected one of "test_threshold"',
  );
  await assert.rejects(
    () =>
      run(context, [
        "--input",
        "/nonexistent.mhd",
        "--out",
        "x",
        "--segmenter",
        "test_threshold",
        "--set",
        "threshold_hu=5",
      ]),
    (e: Error) =>
      e instanceof UsageError &&
      /^segment: bad options for "test_threshold": threshold_hu: /.test(
        e.message,
      ),
  );
  await assert.rejects(
    () =>
      run(context, [
        "--input",
        "/nonexistent.mhd",
        "--out",
        "x",
        "--segmenter",
        "test_threshold",
      ]),
    {
      name: "UsageError",
      message: 'segment: --input "/nonexistent.mhd" does not exist',
    },
  );
});

Deno.test("labelVolume() writes 1 for the first lung and 2 for the second", () => {
  const { volume } = chestPhantom({ slices: 2 });
  const n = volume.data.length;
  const a = new Uint8Array(n), b = new Uint8Array(n);
  a[3] = 1;
  b[5] = 1;
  const labels = labelVolume(volume, lungMasksFrom(volume, a, b, "t", []));
  assert.deepEqual([labels.data[3], labels.data[5], labels.data[4]], [1, 2, 0]);
});
