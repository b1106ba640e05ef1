import assert from "node:assert/strict";
import { createRecorder } from "../logger.ts";
import type { OnnxModel, OnnxTensor } from "../onnx/inference.ts";
import type { Zyx } from "../volume.ts";
import { onnxPatchRunner, runSplitCombine } from "./network.ts";

/** A stand-in network: output cell c holds the input voxel at 4c + 1 (one channel). */
function sampler(calls: Zyx[]) {
  return (image: Float32Array, _coord: Float32Array, size: Zyx) => {
    calls.push(size);
    const cells = size.map((n) => n / 4);
    const out = new Float32Array(cells[0] * cells[1] * cells[2]);
    let o = 0;
    for (let z = 0; z < cells[0]; z++) {
      for (let y = 0; y < cells[1]; y++) {
        for (let x = 0; x < cells[2]; x++) {
          out[o++] =
            image[((4 * z + 1) * size[1] + 4 * y + 1) * size[2] + 4 * x + 1];
        }
      }
    }
    return out;
  };
}

const SETTINGS = {
  side: 16,
  margin: 16,
  stride: 4,
  multiple: 16,
  channels: 1,
  pad: 170,
};

Deno.test("runSplitCombine() skips patches whose core is all padding and keeps -1e6 there", async () => {
  const shape: Zyx = [32, 32, 48];
  const image = new Uint8Array(32 * 32 * 48).fill(170);
  // One bright voxel in the core of patch (1, 0, 2): z 16..31, y 0..15, x 32..47.
  image[(21 * 32 + 5) * 48 + 37] = 250;
  const calls: Zyx[] = [];
  const recorder = createRecorder();
  const result = await runSplitCombine(
    image,
    shape,
    sampler(calls),
    SETTINGS,
    null,
    recorder.progress,
  );
  assert.equal(result.patchesRun, 1);
  assert.equal(result.patchesSkipped, 2 * 2 * 3 - 1);
  assert.equal(result.inputVoxels, 48 * 48 * 48);
  assert.deepEqual(calls, [[48, 48, 48]]);
  assert.deepEqual(result.tiling.grid, [8, 8, 12]);
  const { combined } = result;
  const cell = (z: number, y: number, x: number) =>
    combined[(z * 8 + y) * 12 + x];
  // Voxel (21, 5, 37) = 4·(5, 1, 9) + 1: that cell sees it.
  assert.equal(cell(5, 1, 9), Math.fround((250 - 128) / 128));
  assert.equal(cell(5, 1, 8), Math.fround((170 - 128) / 128));
  // Cells of skipped patches keep the fill value.
  assert.equal(cell(0, 0, 0), -1e6);
  assert.equal(cell(5, 5, 9), -1e6);
  assert.deepEqual(
    recorder.events.map((e) => e.kind === "step" ? e.done : e.kind),
    ["start", 1, "end"],
  );
});

Deno.test("runSplitCombine() chooses patches by the lung mask when one is given", async () => {
  const shape: Zyx = [16, 16, 32];
  const image = new Uint8Array(16 * 16 * 32).fill(60); // no padding anywhere
  const lung = new Uint8Array(image.length);
  lung[(3 * 16 + 3) * 32 + 3] = 1; // in the core of patch (0, 0, 0) only
  const calls: Zyx[] = [];
  const result = await runSplitCombine(
    image,
    shape,
    sampler(calls),
    SETTINGS,
    lung,
  );
  assert.equal(result.patchesRun, 1);
  assert.equal(result.patchesSkipped, 1);
  const noSkip = await runSplitCombine(image, shape, sampler([]), {
    ...SETTINGS,
    skipEmpty: false,
  }, lung);
  assert.equal(noSkip.patchesRun, 2);
  // The patch that ran gives the same cells with or without skipping.
  for (let z = 0; z < 4; z++) {
    for (let y = 0; y < 4; y++) {
      for (let x = 0; x < 4; x++) {
        const i = (z * 4 + y) * 8 + x;
        assert.equal(result.combined[i], noSkip.combined[i]);
        assert.equal(result.combined[i + 4], -1e6);
      }
    }
  }
});

Deno.test("runSplitCombine() rejects outputs of the wrong size and a mismatched image", async () => {
  const shape: Zyx = [16, 16, 16];
  const image = new Uint8Array(16 ** 3).fill(20);
  await assert.rejects(
    () => runSplitCombine(image, shape, () => new Float32Array(7), SETTINGS),
    {
      name: "ShapeError",
      message:
        "Cannot use network output of patch 0 (flattened [12, 12, 12, 1]): shape is [7], expected [1728]",
    },
  );
  await assert.rejects(
    () => runSplitCombine(image.subarray(1), shape, sampler([]), SETTINGS),
    {
      name: "ShapeError",
      message:
        "Cannot use preprocessed scan: shape is [4095], expected [16, 16, 16]",
    },
  );
});

function fakeModel(
  inputNames: string[],
  outputNames: string[],
  dims: number[],
): OnnxModel {
  return {
    inputNames,
    outputNames,
    threads: 1,
    run: (feeds: Record<string, OnnxTensor>) => {
      assert.deepEqual([...feeds.image.dims], [1, 16, 32, 16, 1]);
      assert.deepEqual([...feeds.coord.dims], [1, 4, 8, 4, 3]);
      const size = dims.reduce((a, b) => a * b, 1);
      return Promise.resolve({
        [outputNames[0]]: { data: new Float32Array(size).fill(1), dims },
      });
    },
    dispose: () => Promise.resolve(),
  };
}

Deno.test("onnxPatchRunner() feeds image and coord and checks the output shape", async () => {
  const image = new Float32Array(16 * 32 * 16);
  const coord = new Float32Array(4 * 8 * 4 * 3);
  const good = onnxPatchRunner(
    fakeModel(["image", "coord"], ["out"], [1, 4, 8, 4, 15]),
    4,
    15,
  );
  assert.equal((await good(image, coord, [16, 32, 16])).length, 4 * 8 * 4 * 15);
  const bad = onnxPatchRunner(
    fakeModel(["coord", "image"], ["out"], [1, 4, 8, 4, 10]),
    4,
    15,
  );
  await assert.rejects(async () => await bad(image, coord, [16, 32, 16]), {
    name: "ShapeError",
    message:
      "Cannot use detector output: shape is [1, 4, 8, 4, 10], expected [1, 4, 8, 4, 15]",
  });
  assert.throws(
    () => onnxPatchRunner(fakeModel(["x"], ["out"], []), 4, 15),
    {
      name: "TypeError",
      message:
        'Cannot use ONNX model for prediction: inputs are "x", expected "image" and "coord" (a model written by exportDetector)',
    },
  );
  assert.throws(
    () => onnxPatchRunner(fakeModel(["image", "coord"], ["a", "b"], []), 4, 15),
    /outputs are "a", "b", expected exactly one/,
  );
});
