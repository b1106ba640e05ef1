/**
 * The network step of full-scan prediction: a preprocessed scan is cut into
 * patches (split_combine.ts), each patch runs through the detector (backbone
 * + anchor head, exported to ONNX) and the interiors of the outputs are put
 * back together into one head output for the whole scan.
 *
 * The network is a {@linkcode PatchRunner}, so tests can inject a fake one;
 * {@linkcode onnxPatchRunner} adapts an exported model.
 *
 * @module
 */

import { VALUES_PER_ANCHOR } from "../anchor_head.ts";
import { ShapeError } from "../errors.ts";
import { nullProgress, type Progress } from "../logger.ts";
import type { OnnxModel } from "../onnx/inference.ts";
import { COORD_INPUT, IMAGE_INPUT } from "../onnx/export.ts";
import { flipAxis, interleaveChannels, type Zyx } from "../volume.ts";
import {
  combinePatch,
  createCombined,
  type Patch,
  patchCoord,
  patches,
  patchImage,
  planTiling,
  type Tiling,
} from "./split_combine.ts";

/**
 * Runs the detector on one patch.
 *
 * - `image`: `[d, h, w, c]` float32 flattened, voxel-major: channel 0 the normalised
 *   intensity ((v − 128)/128, about −1..1), then any extra input channels (c = image length / voxels).
 * - `coord`: `[d/stride, h/stride, w/stride, 3]` float32 flattened, positions in −0.5..0.5.
 * - `size`: the patch size (d, h, w), multiples of the backbone's max stride.
 * - result: the head output `[d/stride, h/stride, w/stride, anchors · 5]`
 *   float32 flattened, channel = anchor · 5 + field (logit, dz, dy, dx, dd).
 */
export type PatchRunner = (
  image: Float32Array,
  coord: Float32Array,
  size: Zyx,
) => Float32Array | Promise<Float32Array>;

/**
 * Adapts an exported detector (see `exportDetector` in `core/onnx/export.ts`:
 * inputs `image` `[1, d, h, w, 1]` and `coord` `[1, d/s, h/s, w/s, 3]`, one
 * output `[1, d/s, h/s, w/s, anchors · 5]`) to a {@linkcode PatchRunner}.
 *
 * @param model a loaded model with the exporter's input names and one output
 * @param stride the head's stride (output cell = `stride` input voxels)
 * @param channels output channels, anchors · 5
 * @returns the runner; it checks the output's shape on every call
 * @throws {TypeError} when the model's inputs or outputs are not the exporter's
 * @example
 * ```ts ignore
 * const model = await createOnnxModel(bytes, { threads: 2 });
 * const runPatch = onnxPatchRunner(model, 4, 15);
 * ```
 */
export function onnxPatchRunner(
  model: OnnxModel,
  stride: number,
  channels: number,
): PatchRunner {
  const inputs = [...model.inputNames].sort();
  const wanted = [COORD_INPUT, IMAGE_INPUT].sort();
  if (
    inputs.length !== 2 || inputs[0] !== wanted[0] || inputs[1] !== wanted[1]
  ) {
    throw new TypeError(
      `Cannot use ONNX model for prediction: inputs are ${
        quote(model.inputNames)
      }, expected "${IMAGE_INPUT}" and "${COORD_INPUT}" (a model written by exportDetector)`,
    );
  }
  if (model.outputNames.length !== 1) {
    throw new TypeError(
      `Cannot use ONNX model for prediction: outputs are ${
        quote(model.outputNames)
      }, expected exactly one (the anchor head's output)`,
    );
  }
  const outputName = model.outputNames[0];
  return async (image, coord, size) => {
    const cells = size.map((n) => n / stride);
    const inputChannels = image.length / (size[0] * size[1] * size[2]);
    const results = await model.run({
      [IMAGE_INPUT]: {
        data: image,
        dims: [1, size[0], size[1], size[2], inputChannels],
      },
      [COORD_INPUT]: {
        data: coord,
        dims: [1, cells[0], cells[1], cells[2], 3],
      },
    });
    const out = results[outputName];
    const expected = [1, cells[0], cells[1], cells[2], channels];
    if (
      out.dims.length !== 5 || out.dims.some((d, i) => d !== expected[i])
    ) {
      throw new ShapeError("detector output", expected, out.dims);
    }
    return out.data;
  };
}

/**
 * Test-time flip augmentation: runs `runPatch` on the patch as it is and
 * flipped along y, along x and along both (the flips training augments with,
 * reference §4.5; z is never flipped), maps each output back onto the
 * unflipped grid and averages them. Mapping back reverses the flipped grid
 * axes and negates the offset of each flipped axis (dy, dx); the cell centre
 * `(stride − 1)/2 + stride · i` is symmetric under a flip of a patch whose
 * side is a multiple of the stride, so cells line up. The coordinate input is
 * flipped with the image, as training flips it with the crop.
 *
 * @param runPatch the network
 * @param stride the head's stride
 * @param channels output channels, anchors · 5 (channel = anchor · 5 + field:
 *   logit, dz, dy, dx, dd)
 * @returns a runner that calls `runPatch` 4 times per patch
 * @example
 * ```ts
 * import { flipAveragedRunner } from "./network.ts";
 * // Stride 1, one anchor; every cell's logit is the first voxel it is given.
 * const run = flipAveragedRunner(
 *   (image) => Float32Array.from([...image].flatMap(() => [image[0], 0, 0, 0, 0])),
 *   1,
 *   5,
 * );
 * const out = await run(Float32Array.of(0, 1, 2, 3), new Float32Array(12), [1, 2, 2]);
 * out[0]; // 1.5: the first voxels of the four flips are 0, 2, 1 and 3
 * ```
 */
export function flipAveragedRunner(
  runPatch: PatchRunner,
  stride: number,
  channels: number,
): PatchRunner {
  return async (image, coord, size) => {
    const cells: Zyx = [size[0] / stride, size[1] / stride, size[2] / stride];
    const sum = new Float32Array(cells[0] * cells[1] * cells[2] * channels);
    const inputChannels = image.length / (size[0] * size[1] * size[2]);
    for (const flips of [[], [1], [2], [1, 2]] as const) {
      let input = image, position = coord;
      for (const axis of flips) {
        input = flipAxis(input, size, axis, inputChannels);
        position = flipAxis(position, cells, axis, 3);
      }
      let output = await runPatch(input, position, size);
      for (const axis of flips) {
        output = flipAxis(output, cells, axis, channels);
        // Offsets of the flipped axis change sign: fields dy (2), dx (3).
        const field = axis + 1;
        for (let c = field; c < output.length; c += VALUES_PER_ANCHOR) {
          output[c] = -output[c];
        }
      }
      for (let i = 0; i < sum.length; i++) sum[i] += output[i];
    }
    for (let i = 0; i < sum.length; i++) sum[i] /= 4;
    return sum;
  };
}

/** Settings of {@linkcode runSplitCombine}. */
export interface SplitCombineSettings {
  /** Largest patch core per axis (the experiment's `eval.side`). */
  readonly side: number;
  /** Patch margin on each side (`eval.margin`). */
  readonly margin: number;
  /** The head's stride (4). */
  readonly stride: number;
  /** Patch sizes are multiples of this (the backbone's max stride, 16). */
  readonly multiple: number;
  /** Output channels (anchors · 5). */
  readonly channels: number;
  /** Value of voxels past the scan's far end (170 ≈ 0 HU, as preprocessing pads). */
  readonly pad: number;
  /**
   * Skip patches whose core has no voxel of interest (default true). Their
   * output cells keep −1e6, so nothing is detected there. A voxel is of
   * interest when `lung` is 1 there, or, without `lung`, when its value
   * differs from `pad`: preprocessing sets everything outside the dilated
   * lung mask to `pad`, so a core of only `pad` has no lung in it.
   */
  readonly skipEmpty?: boolean;
  /**
   * Extra input channels after the intensity: uint8 volumes of the scan's
   * shape, normalised like it ((v − 128)/128) and padded with 0 past the
   * scan's far end (the blob response; default none).
   */
  readonly extraChannels?: readonly Uint8Array[];
}

/** What {@linkcode runSplitCombine} produced. */
export interface SplitCombineResult {
  /** The combined head output `[grid z, grid y, grid x, channels]` flattened. */
  readonly combined: Float32Array;
  /** The tiling (its `grid` is the combined output's grid). */
  readonly tiling: Tiling;
  /** Patches run through the network. */
  readonly patchesRun: number;
  /** Patches skipped because their core holds no voxel of interest. */
  readonly patchesSkipped: number;
  /** Input voxels fed to the network (margins included). */
  readonly inputVoxels: number;
  /** Milliseconds spent inside the runner. */
  readonly runnerMs: number;
}

/**
 * Runs a whole preprocessed scan through the network patch by patch (one
 * at a time, to bound memory) and combines the outputs (reference §6, with
 * the per-axis tiling of {@linkcode planTiling}).
 *
 * @param image the preprocessed scan, uint8 window values (pad 170), ZYX, length = voxels of `shape`
 * @param shape its shape (z, y, x)
 * @param runPatch the network
 * @param settings tiling, stride, channels, pad and patch skipping
 * @param lung optional 0/1 mask of the dilated lungs on the same grid; chooses the patches to run
 * @param progress receives one `patches` step per patch
 * @returns the combined output and counts
 * @throws {ShapeError} when `image` or `lung` does not match `shape`, or the runner returns the wrong size
 * @example
 * ```ts ignore
 * const { combined, tiling } = await runSplitCombine(image, shape, runPatch, {
 *   side: 144, margin: 32, stride: 4, multiple: 16, channels: 15, pad: 170,
 * });
 * head.decode(combined, tiling.grid, -3);
 * ```
 */
export async function runSplitCombine(
  image: Uint8Array,
  shape: Zyx,
  runPatch: PatchRunner,
  settings: SplitCombineSettings,
  lung: Uint8Array | null = null,
  progress: Progress = nullProgress,
): Promise<SplitCombineResult> {
  const voxels = shape[0] * shape[1] * shape[2];
  if (image.length !== voxels) {
    throw new ShapeError("preprocessed scan", [...shape], [image.length]);
  }
  const extra = settings.extraChannels ?? [];
  for (const [i, channel] of extra.entries()) {
    if (channel.length !== voxels) {
      throw new ShapeError(`extra input channel ${i + 1}`, [...shape], [
        channel.length,
      ]);
    }
  }
  if (lung && lung.length !== voxels) {
    throw new ShapeError("lung mask of the preprocessed scan", [...shape], [
      lung.length,
    ]);
  }
  if (settings.margin % settings.stride !== 0) {
    throw new RangeError(
      `Cannot tile scan: margin ${settings.margin}, expected a multiple of the stride ${settings.stride}`,
    );
  }
  const tiling = planTiling(
    shape,
    settings.side,
    settings.margin,
    settings.stride,
    settings.multiple,
  );
  const combined = createCombined(tiling, settings.channels);
  const all = patches(tiling);
  const skipEmpty = settings.skipEmpty ?? true;
  const todo = all.filter((patch) =>
    !skipEmpty || coreHasInterest(image, lung, tiling, patch, settings.pad)
  );
  let inputVoxels = 0, runnerMs = 0;
  progress.start("patches", todo.length, "patches");
  for (let i = 0; i < todo.length; i++) {
    const patch = todo[i];
    const intensity = patchImage(image, tiling, patch, settings.pad);
    const input = extra.length === 0 ? intensity : interleaveChannels([
      intensity,
      ...extra.map((channel) => patchImage(channel, tiling, patch, 0)),
    ]);
    const coord = patchCoord(tiling, patch);
    const started = performance.now();
    const output = await runPatch(input, coord, patch.size);
    runnerMs += performance.now() - started;
    const cells = patch.size.map((n) => n / settings.stride);
    const expected = cells[0] * cells[1] * cells[2] * settings.channels;
    if (output.length !== expected) {
      throw new ShapeError(
        `network output of patch ${patch.index} (flattened [${
          cells.join(", ")
        }, ${settings.channels}])`,
        [expected],
        [output.length],
      );
    }
    combinePatch(combined, tiling, patch, output, settings.channels);
    inputVoxels += intensity.length;
    progress.step("patches", i + 1);
  }
  progress.end("patches");
  return {
    combined,
    tiling,
    patchesRun: todo.length,
    patchesSkipped: all.length - todo.length,
    inputVoxels,
    runnerMs,
  };
}

/** Output channels of a head with `anchorCount` anchors. */
export function headChannels(anchorCount: number): number {
  return anchorCount * VALUES_PER_ANCHOR;
}

/**
 * Whether the core of `patch` (its part of the scan, margins excluded)
 * holds a lung voxel, or without a mask a voxel whose value is not `pad`.
 */
function coreHasInterest(
  image: Uint8Array,
  lung: Uint8Array | null,
  tiling: Tiling,
  patch: Patch,
  pad: number,
): boolean {
  const [D, H, W] = tiling.shape;
  const lo = [0, 1, 2].map((a) => patch.position[a] * tiling.sides[a]);
  const hi = [0, 1, 2].map((a) =>
    Math.min(tiling.shape[a], lo[a] + tiling.sides[a])
  );
  if (lo[0] >= D || lo[1] >= H || lo[2] >= W) return false;
  for (let z = lo[0]; z < hi[0]; z++) {
    for (let y = lo[1]; y < hi[1]; y++) {
      const row = (z * H + y) * W;
      if (lung) {
        for (let x = row + lo[2], end = row + hi[2]; x < end; x++) {
          if (lung[x] !== 0) return true;
        }
      } else {
        for (let x = row + lo[2], end = row + hi[2]; x < end; x++) {
          if (image[x] !== pad) return true;
        }
      }
    }
  }
  return false;
}

function quote(names: readonly string[]): string {
  return names.length === 0 ? "none" : names.map((n) => `"${n}"`).join(", ");
}
