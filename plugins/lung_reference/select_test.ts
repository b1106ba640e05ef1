import assert from "node:assert/strict";
import type { Zyx } from "../../core/mod.ts";
import { selectComponents, type SelectSettings } from "./select.ts";

const SHAPE: Zyx = [12, 40, 40];
const SPACING: Zyx = [10, 5, 5];
const LOOSE: SelectSettings = {
  volumeL: [0.001, 10],
  areaMm2: 100,
  distanceMm: 62,
  keepTwoLargest: false,
  restoreMax: Infinity,
};

function block(
  mask: Uint8Array,
  [z0, z1]: [number, number],
  [y0, y1]: [number, number],
  [x0, x1]: [number, number],
) {
  const [, ny, nx] = SHAPE;
  for (let z = z0; z < z1; z++) {
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) mask[(z * ny + y) * nx + x] = 1;
    }
  }
}

const count = (m: Uint8Array | null) => m ? m.reduce((a, b) => a + b, 0) : 0;

Deno.test("selectComponents() drops components touching a corner or edge probe", () => {
  const bw = new Uint8Array(12 * 40 * 40);
  block(bw, [2, 8], [15, 25], [15, 25]); // centred: kept
  block(bw, [0, 3], [0, 5], [0, 5]); // corner (0, 0, 0)
  block(bw, [9, 12], [35, 40], [18, 22]); // middle of the last row, last slice
  const sel = selectComponents(bw, SHAPE, SPACING, 0, "high", LOOSE);
  assert.equal(sel.counts.components, 3);
  assert.equal(sel.counts.probe, 2);
  assert.equal(sel.counts.kept, 1);
  assert.equal(count(sel.mask), 6 * 10 * 10);
});

Deno.test("selectComponents() applies the volume limits in litres", () => {
  const bw = new Uint8Array(12 * 40 * 40);
  block(bw, [2, 8], [15, 25], [8, 18]); // 600 voxels × 250 mm³ = 0.15 L
  block(bw, [2, 4], [15, 18], [24, 27]); // 18 voxels = 0.0045 L
  const sel = selectComponents(bw, SHAPE, SPACING, 0, "high", {
    ...LOOSE,
    volumeL: [0.1, 0.2],
  });
  assert.equal(sel.counts.volume, 1);
  assert.equal(count(sel.mask), 600);
  const none = selectComponents(bw, SHAPE, SPACING, 0, "high", {
    ...LOOSE,
    volumeL: [0.2, 1],
  });
  assert.equal(none.mask, null);
  assert.equal(none.counts.volume, 2);
});

Deno.test("selectComponents() keeps a component by the mean minimum distance of its large slices", () => {
  // Slice centre is (19.5, 19.5) px; columns 16–23 reach within 0.5 px·5 mm.
  const bw = new Uint8Array(12 * 40 * 40);
  block(bw, [2, 8], [16, 24], [16, 24]); // at the centre: distance 2.5 mm
  block(bw, [2, 8], [1, 5], [2, 6]); // far corner region: about 100 mm
  const sel = selectComponents(bw, SHAPE, SPACING, 0, "high", {
    ...LOOSE,
    distanceMm: 62,
    areaMm2: 300, // 64 px · 25 mm² = 1600 mm² and 16 px · 25 = 400 mm² pass
  });
  assert.equal(sel.counts.distance, 1);
  assert.equal(count(sel.mask), 6 * 8 * 8);
  // Without any slice over the area threshold the mean is NaN: dropped.
  const strict = selectComponents(bw, SHAPE, SPACING, 0, "high", {
    ...LOOSE,
    areaMm2: 5000,
  });
  assert.equal(strict.mask, null);
  assert.equal(strict.counts.distance, 2);
});

Deno.test("selectComponents() with a cut restores the cut slices connected within reach", () => {
  const bw = new Uint8Array(12 * 40 * 40);
  block(bw, [2, 12], [16, 24], [16, 24]); // runs into the two top slices
  block(bw, [11, 12], [2, 5], [30, 33]); // isolated, in a cut slice
  block(bw, [3, 5], [16, 24], [26, 28]); // separate, 2 columns off the block
  for (const [end, z0, z1] of [["high", 10, 12], ["low", 0, 2]] as const) {
    const mask = bw.slice();
    if (end === "low") {
      // Mirror in z so the block runs into the two lowest slices.
      const plane = 40 * 40;
      for (let z = 0; z < 6; z++) {
        const a = mask.slice(z * plane, (z + 1) * plane);
        mask.copyWithin(z * plane, (11 - z) * plane, (12 - z) * plane);
        mask.set(a, (11 - z) * plane);
      }
    }
    const sel = selectComponents(mask, SHAPE, SPACING, 2, end, LOOSE);
    assert.equal(sel.counts.kept, 2, end);
    const out = sel.mask!;
    let cutVoxels = 0;
    for (let z = z0; z < z1; z++) {
      for (let i = z * 1600; i < (z + 1) * 1600; i++) cutVoxels += out[i];
    }
    // Both cut slices of the block come back (L1 distance 1 and 2); the
    // isolated blob does not (it is farther than 2 from any kept voxel).
    assert.equal(cutVoxels, 2 * 64, end);
    assert.equal(count(out), 10 * 64 + 2 * 8 * 2, end);
  }
});

Deno.test("selectComponents() with keepTwoLargest keeps only the two largest", () => {
  const bw = new Uint8Array(12 * 40 * 40);
  block(bw, [2, 8], [16, 24], [10, 14]);
  block(bw, [2, 8], [16, 24], [16, 19]);
  block(bw, [2, 8], [16, 24], [21, 23]);
  const sel = selectComponents(bw, SHAPE, SPACING, 0, "high", {
    ...LOOSE,
    keepTwoLargest: true,
  });
  assert.equal(sel.counts.kept, 2);
  assert.equal(sel.counts.extra, 1);
  assert.equal(count(sel.mask), 6 * 8 * (4 + 3));
});

Deno.test("selectComponents() with dropFovEdge drops components at the edge of a circular field of view", () => {
  const bw = new Uint8Array(12 * 40 * 40);
  block(bw, [2, 8], [16, 24], [16, 24]); // centred
  block(bw, [2, 8], [18, 22], [3, 6]); // reaches column 3: the FOV edge of these rows
  // Circular FOV in every slice: rows 18–21 are valid from column 3 to 36.
  const firstValid = new Int32Array(40).fill(3),
    lastValid = new Int32Array(40).fill(36);
  const fov = { circular: new Uint8Array(12).fill(1), firstValid, lastValid };
  const far = { ...LOOSE, distanceMm: 100 }; // the edge block is 72.5 mm out
  const plain = selectComponents(bw, SHAPE, SPACING, 0, "high", far);
  assert.equal(plain.counts.kept, 2);
  const strict = selectComponents(bw, SHAPE, SPACING, 0, "high", {
    ...far,
    dropFovEdge: true,
    fov,
  });
  assert.equal(strict.counts.kept, 1);
  assert.equal(strict.counts.probe, 1);
  assert.equal(count(strict.mask), 6 * 64);
});
