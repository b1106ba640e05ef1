import assert from "node:assert/strict";
import { createRng } from "../random.ts";
import type { Zyx } from "../volume.ts";
import {
  combinePatch,
  createCombined,
  patchCoord,
  patches,
  patchImage,
  planTiling,
} from "./split_combine.ts";

Deno.test("planTiling() reproduces the reference tiling when axes are multiples of the side", () => {
  const tiling = planTiling([288, 144, 432], 144, 32, 4, 16);
  assert.deepEqual(tiling.counts, [2, 1, 3]);
  assert.deepEqual(tiling.sides, [144, 144, 144]);
  assert.deepEqual(tiling.grid, [72, 36, 108]);
  const all = patches(tiling);
  assert.equal(all.length, 6);
  assert.deepEqual(all[0].size, [208, 208, 208]);
  assert.deepEqual(all[5].start, [144 - 32, -32, 288 - 32]);
});

Deno.test("planTiling() shrinks the side per axis to cover the scan with fewer voxels", () => {
  const tiling = planTiling([150, 100, 290], 144, 32, 4, 16);
  // 150 → 2 patches of 80; 100 → 1 of 112; 290 → 3 of 112 (⌈96.7/16⌉·16).
  assert.deepEqual(tiling.counts, [2, 1, 3]);
  assert.deepEqual(tiling.sides, [80, 112, 112]);
  for (let axis = 0; axis < 3; axis++) {
    assert.ok(tiling.counts[axis] * tiling.sides[axis] >= tiling.shape[axis]);
  }
  assert.throws(
    () => planTiling([10, 10, 10], 100, 32, 4, 16),
    /multiples of 16/,
  );
});

/** A stand-in network: each output cell holds the input voxel at 4·cell + 1 and the coords. */
function fakeNetwork(
  image: Float32Array,
  coord: Float32Array,
  size: Zyx,
): Float32Array {
  const cells = size.map((n) => n / 4);
  const out = new Float32Array(cells[0] * cells[1] * cells[2] * 4);
  let o = 0;
  for (let z = 0; z < cells[0]; z++) {
    for (let y = 0; y < cells[1]; y++) {
      for (let x = 0; x < cells[2]; x++) {
        const v = ((4 * z + 1) * size[1] + (4 * y + 1)) * size[2] + (4 * x + 1);
        const c = ((z * cells[1] + y) * cells[2] + x) * 3;
        out[o++] = image[v];
        out[o++] = coord[c];
        out[o++] = coord[c + 1];
        out[o++] = coord[c + 2];
      }
    }
  }
  return out;
}

Deno.test("split, run and combine equal running on the whole scan", () => {
  const shape: Zyx = [37, 50, 23];
  const rng = createRng(9);
  const image = Uint8Array.from(
    { length: shape[0] * shape[1] * shape[2] },
    () => rng.int(256),
  );
  const tiling = planTiling(shape, 32, 16, 4, 16);
  const combined = createCombined(tiling, 4);
  for (const patch of patches(tiling)) {
    const output = fakeNetwork(
      patchImage(image, tiling, patch, 170),
      patchCoord(tiling, patch),
      patch.size,
    );
    combinePatch(combined, tiling, patch, output, 4);
  }
  const [GZ, GY, GX] = tiling.grid;
  const full = shape.map((L) => Math.ceil(L / 4));
  for (let gz = 0; gz < GZ; gz++) {
    for (let gy = 0; gy < GY; gy++) {
      for (let gx = 0; gx < GX; gx++) {
        const o = ((gz * GY + gy) * GX + gx) * 4;
        // Expected: the scan voxel at 4g + 1, 170 past the end (up to the
        // multiple of 4), edge-replicated beyond.
        const v = [4 * gz + 1, 4 * gy + 1, 4 * gx + 1];
        const padded = shape.map((L) => Math.ceil(L / 4) * 4);
        const c = v.map((q, axis) => Math.min(q, padded[axis] - 1));
        const inside = c.every((q, axis) => q < shape[axis]);
        const expected = inside
          ? (image[(c[0] * shape[1] + c[1]) * shape[2] + c[2]] - 128) / 128
          : (170 - 128) / 128;
        assert.equal(
          combined[o],
          Math.fround(expected),
          `cell ${gz},${gy},${gx}`,
        );
        const g = [gz, gy, gx];
        for (let axis = 0; axis < 3; axis++) {
          const cell = Math.min(g[axis], full[axis] - 1);
          assert.ok(
            Math.abs(
              combined[o + 1 + axis] - (-0.5 + cell / (full[axis] - 1)),
            ) <
              1e-6,
          );
        }
      }
    }
  }
});
