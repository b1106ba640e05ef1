import assert from "node:assert/strict";
import { createRecorder } from "../logger.ts";
import type { OnnxModel, OnnxTensor } from "../onnx/inference.ts";
import type { Zyx } from "../volume.ts";
import {
  flipAveragedRunner,
  onnxPatchRunner,
  runSplitCombine,
} from "./network.ts";

/** A stand-in network: output cell c holds the input voxel at 4c + offset (one channel). */
function sampler(calls: Zyx[], offset = 1) {
  return (image: Float32Array, _coord: Float32Array, size: Zyx) => {
    calls.push(size);
    const cells = size.map((n) => n / 4);
    const out = new Float32Array(cells[0] * cells[1] * cells[2]);
    let o = 0;
    for (let z = 0; z < cells[0]; z++) {
      for (let y = 0; y < cells[1]; y++) {
        for (let x = 0; x < cells[2]; x++) {
          out[o++] = image[
            ((4 * z + offset) * size[1] + 4 * y + offset) * size[2] + 4 * x +
            offset
          ];
        }
      }
    }
    return out;
  };
}

/** {@linkcode sampler} reading channel `channel` of a `channels`-channel input. */
function channelSampler(channel: number, channels: number) {
  // Offset 3: the last cell on x reads voxel 31, past the scan's end.
  const one = sampler([], 3);
  return (image: Float32Array, coord: Float32Array, size: Zyx) => {
    const picked = new Float32Array(image.length / channels);
    for (let i = 0; i < picked.length; i++) {
      picked[i] = image[i * channels + channel];
    }
    return one(picked, coord, size);
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

Deno.test("flipAveragedRunner() averages the four y/x flips: hand-computed logits and signed offsets", async () => {
  // Stride 1, one anchor, a 1×2×2 patch: every cell's logit is the first
  // voxel the network is given (not flip-equivariant), and it always answers
  // dz 3, dy 1, dx 2, dd 4 in its own frame.
  const seen: Float32Array[] = [];
  const run = flipAveragedRunner(
    (image) => {
      seen.push(image);
      return Float32Array.from(
        [...image].flatMap(() => [image[0], 3, 1, 2, 4]),
      );
    },
    1,
    5,
  );
  const out = await run(Float32Array.of(0, 1, 2, 3), new Float32Array(12), [
    1,
    2,
    2,
  ]);
  // The inputs: as is, y flipped, x flipped, both.
  assert.deepEqual(seen.map((a) => [...a]), [
    [0, 1, 2, 3],
    [2, 3, 0, 1],
    [1, 0, 3, 2],
    [3, 2, 1, 0],
  ]);
  // The first voxels were 0, 2, 1, 3 (mean 1.5); dy is +1 unflipped and −1
  // after a y flip (mean 0), dx likewise; dz and dd keep their value.
  for (let cell = 0; cell < 4; cell++) {
    assert.deepEqual([...out.subarray(cell * 5, cell * 5 + 5)], [
      1.5,
      3,
      0,
      0,
      4,
    ]);
  }
});

Deno.test("flipAveragedRunner() leaves a flip-equivariant network unchanged (image, offsets and coordinates follow the voxels)", async () => {
  // Stride 2, two anchors on a 2×4×6 patch. Per cell: logit = sum of the
  // cell's voxels plus the y coordinate, dy = difference of the voxel rows
  // (lower minus upper), dx likewise for columns, dz and dd constants. A
  // y flip reverses the rows, so in the flipped frame dy changes sign, and
  // the coordinate input comes flipped with the image: the exact answer of
  // the unflipped network must come back.
  const size: Zyx = [2, 4, 6];
  const cells: Zyx = [1, 2, 3];
  const image = Float32Array.from({ length: 48 }, (_, i) => Math.sin(i * 1.7));
  const coord = Float32Array.from({ length: 18 }, (_, i) => (i % 3) + i / 7);
  const net = (img: Float32Array, crd: Float32Array, sz: Zyx) => {
    const out = new Float32Array(cells[0] * cells[1] * cells[2] * 10);
    const at = (z: number, y: number, x: number) =>
      img[(z * sz[1] + y) * sz[2] + x];
    let o = 0;
    for (let cz = 0; cz < cells[0]; cz++) {
      for (let cy = 0; cy < cells[1]; cy++) {
        for (let cx = 0; cx < cells[2]; cx++) {
          let sum = 0, dy = 0, dx = 0;
          for (let z = 2 * cz; z < 2 * cz + 2; z++) {
            for (let a = 0; a < 2; a++) {
              for (let b = 0; b < 2; b++) {
                const v = at(z, 2 * cy + a, 2 * cx + b);
                sum += v;
                dy += a === 1 ? v : -v;
                dx += b === 1 ? v : -v;
              }
            }
          }
          const cell = (cz * cells[1] + cy) * cells[2] + cx;
          for (let anchor = 0; anchor < 2; anchor++) {
            out.set(
              [sum + crd[cell * 3 + 1], 0.5, dy, dx * (anchor + 1), -0.25],
              o,
            );
            o += 5;
          }
        }
      }
    }
    return out;
  };
  const plain = net(image, coord, size);
  const averaged = await flipAveragedRunner(net, 2, 10)(image, coord, size);
  assert.equal(averaged.length, plain.length);
  for (let i = 0; i < plain.length; i++) {
    assert.ok(
      Math.abs(averaged[i] - plain[i]) < 1e-5,
      `value ${i}: ${averaged[i]} vs ${plain[i]}`,
    );
  }
});

Deno.test("runSplitCombine() feeds an extra channel beside the image, padded with 0 past the scan's end", async () => {
  // 30 voxels on x: the patches reach past the far end (x 30, 31 are pad).
  const shape: Zyx = [16, 16, 30];
  const n = 16 * 16 * 30;
  const image = Uint8Array.from({ length: n }, (_, i) => (i * 13) % 200);
  const blob = Uint8Array.from({ length: n }, (_, i) => (i * 7) % 255);
  const settings = { ...SETTINGS, skipEmpty: false };
  const two = { ...settings, extraChannels: [blob] };
  const first = await runSplitCombine(image, shape, channelSampler(0, 2), two);
  const second = await runSplitCombine(image, shape, channelSampler(1, 2), two);
  const alone = await runSplitCombine(image, shape, sampler([], 3), settings);
  const blobAlone = await runSplitCombine(blob, shape, sampler([], 3), {
    ...settings,
    pad: 0,
  });
  assert.deepEqual(first.combined, alone.combined);
  assert.deepEqual(second.combined, blobAlone.combined);
  // Cell x = 7 reads x = 31, past the end: the image's pad and the blob's 0.
  assert.equal(first.combined[7], (170 - 128) / 128);
  assert.equal(second.combined[7], -1);
  assert.equal(first.inputVoxels, alone.inputVoxels);
  await assert.rejects(
    () =>
      runSplitCombine(image, shape, sampler([]), {
        ...settings,
        extraChannels: [blob.subarray(1)],
      }),
    { name: "ShapeError", message: /extra input channel 1/ },
  );
});
