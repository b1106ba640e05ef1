import assert from "node:assert/strict";
import { emptyLungMasks, lungMasksFrom } from "./lung_masks.ts";
import {
  convexDilate,
  encodeScan,
  extendBox,
  INFERENCE_PREPROCESS,
  preprocessScan,
  TRAINING_PREPROCESS,
  windowHu,
} from "./preprocess.ts";
import { generateSyntheticScan } from "./synth/scan.ts";
import { chestPhantom } from "./testing/segmenter_contract.ts";
import {
  preprocessedToWorld,
  type Volume,
  worldToPreprocessed,
  worldToVoxel,
  type Zyx,
} from "./volume.ts";

const count = (m: Uint8Array) => m.reduce((a, b) => a + b, 0);

Deno.test("windowHu() is the reference's lumTrans with NaN as -2000 HU", () => {
  const w: [number, number] = [-1200, 600];
  assert.deepEqual(
    [-3000, -1200, -1000, 0, 282, 600, 2000, NaN].map((v) => windowHu(v, w)),
    // floor(255 · (HU + 1200) / 1800): −1000 → 28.33, 282 → 209.95
    [0, 0, 28, 170, 209, 255, 255, 0],
  );
});

Deno.test("convexDilate() takes the hull of a slice only under the area ratio", () => {
  // An L in one slice: 5 + 4 pixels; its hull (the triangle) covers 15.
  const shape: Zyx = [1, 5, 5];
  const l = new Uint8Array(25);
  for (let y = 0; y < 5; y++) l[y * 5] = 1;
  for (let x = 1; x < 5; x++) l[20 + x] = 1;
  assert.equal(count(convexDilate(l, shape, 2, 0)), 15);
  assert.equal(count(convexDilate(l, shape, 1.5, 0)), 9);
});

Deno.test("convexDilate() dilates like the 6-connected cross iterated", () => {
  const shape: Zyx = [7, 7, 7];
  const m = new Uint8Array(343);
  m[(3 * 7 + 3) * 7 + 3] = 1;
  // k dilations of one voxel: the octahedron |dz| + |dy| + |dx| ≤ k.
  const octahedron = [1, 7, 25, 63];
  for (let k = 0; k <= 3; k++) {
    assert.equal(
      count(convexDilate(m, shape, 1.5, k)),
      octahedron[k],
      `k=${k}`,
    );
  }
});

Deno.test("extendBox() follows the reference: floor(box · spacing), −5 below, +10 above, clipped", () => {
  const shape: Zyx = [10, 20, 20];
  const union = new Uint8Array(10 * 20 * 20);
  // Voxels at (2, 3, 4) and (7, 15, 19).
  union[(2 * 20 + 3) * 20 + 4] = 1;
  union[(7 * 20 + 15) * 20 + 19] = 1;
  const box = extendBox(union, shape, [2.5, 0.7, 0.7], TRAINING_PREPROCESS)!;
  // z: floor(2·2.5)=5 → 0; floor(7·2.5)=17 → 27, clipped to round(25) = 25.
  // y: floor(3·0.7)=2 → 0; floor(15·0.7)=10 → 20, clipped to round(14) = 14.
  // x: floor(4·0.7)=2 → 0; floor(19·0.7)=13 → 23, clipped to 14.
  assert.deepEqual(box, { start: [0, 0, 0], end: [25, 14, 14] });
  assert.equal(
    extendBox(new Uint8Array(8), [2, 2, 2], [1, 1, 1], TRAINING_PREPROCESS),
    null,
  );
});

function phantomMasks(volume: Volume, labels: Uint8Array) {
  const a = labels.map((l) => (l === 1 ? 1 : 0));
  const b = labels.map((l) => (l === 2 ? 1 : 0));
  return lungMasksFrom(volume, a, b, "test", []);
}

Deno.test("encodeScan() windows inside the dilated mask, pads outside and removes bone only in the shell", () => {
  const hu = [-850, 1500, 1500, 40, 282, 283, NaN];
  const union = [1, 1, 0, 0, 0, 0, 1];
  const dilated = [1, 1, 1, 0, 1, 1, 1];
  // lung; bone in the lung stays 255; bone in the shell → 170; outside → 170;
  // shell at 282 HU = 209 (≤ 210) stays, 283 HU = 210 stays (not > 210);
  // NaN → −2000 → 0.
  assert.deepEqual(
    [...encodeScan(hu, union, dilated, TRAINING_PREPROCESS)],
    [49, 255, 170, 170, 209, 210, 0],
  );
  assert.equal(windowHu(290, [-1200, 600]), 211);
  assert.deepEqual(
    [...encodeScan([290], [0], [1], TRAINING_PREPROCESS)],
    [170],
  );
});

Deno.test("preprocessScan() crops the working grid to the extend box and pads outside the lungs", () => {
  const { volume, labels } = chestPhantom();
  const masks = phantomMasks(volume, labels);
  const scan = preprocessScan(volume, masks, TRAINING_PREPROCESS);
  const box = extendBox(
    masks.union.data,
    volume.shape,
    volume.spacingMm,
    TRAINING_PREPROCESS,
  )!;
  assert.deepEqual(scan.extendboxStart, box.start);
  assert.deepEqual(scan.extendboxEnd, box.end);
  assert.deepEqual(scan.shape, [0, 1, 2].map((a) => box.end[a] - box.start[a]));
  assert.equal(
    scan.image.length,
    scan.shape[0] * scan.shape[1] * scan.shape[2],
  );
  assert.equal(scan.mask.length, scan.image.length);
  // The crop's corner is outside the dilated lungs: pad value, mask 0.
  assert.equal(scan.image[0], 170);
  assert.equal(scan.mask[0], 0);
  // A lung centre reads about floor(255 · 350 / 1800) = 49.
  const [, ny, nx] = volume.shape;
  const i = labels.indexOf(1) + 3 * nx + 2 * ny * nx;
  const z = Math.floor(i / (ny * nx)), y = Math.floor(i / nx) % ny, x = i % nx;
  const p = worldToPreprocessed(scan.grid, voxelWorld(volume, [z, y, x])).map(
    Math.round,
  );
  const value =
    scan.image[(p[0] * scan.shape[1] + p[1]) * scan.shape[2] + p[2]];
  assert.ok(Math.abs(value - 49) <= 6, `${value}`);
  assert.equal(
    scan.mask[(p[0] * scan.shape[1] + p[1]) * scan.shape[2] + p[2]],
    1,
  );
  assert.equal(scan.version, 1);
});

function voxelWorld(volume: Volume, v: Zyx): Zyx {
  const { spacingMm: s, originMm: o, direction: d } = volume;
  const a = v[0] * s[0], b = v[1] * s[1], c = v[2] * s[2];
  return [
    o[0] + d[0] * a + d[1] * b + d[2] * c,
    o[1] + d[3] * a + d[4] * b + d[5] * c,
    o[2] + d[6] * a + d[7] * b + d[8] * c,
  ];
}

Deno.test("preprocessScan() refuses masks without a lung and says why", () => {
  const { volume } = chestPhantom({ slices: 4 });
  assert.throws(
    () => preprocessScan(volume, emptyLungMasks(volume, "seg", "no air")),
    {
      name: "RangeError",
      message:
        'Cannot preprocess scan: the segmenter "seg" found no lung (no air), expected at least one lung voxel',
    },
  );
});

Deno.test("world → preprocessed voxel → world is exact for every synthetic annotation, and lands on the nodule", () => {
  let checked = 0;
  for (const seed of [3, 4]) {
    const scan = generateSyntheticScan(seed, {
      size: 128,
      slices: 96,
      noduleCount: 4,
      flags: { flippedXY: seed === 4 },
    });
    const labels = scan.lungMask.data;
    const masks = lungMasksFrom(
      scan.volume,
      labels.map((l) => (l === 3 ? 1 : 0)),
      labels.map((l) => (l === 4 ? 1 : 0)),
      "truth",
      [],
    );
    const pre = preprocessScan(scan.volume, masks, INFERENCE_PREPROCESS);
    for (const nodule of scan.nodules) {
      const p = worldToPreprocessed(pre.grid, nodule.worldMm);
      const back = preprocessedToWorld(pre.grid, p);
      const error = Math.hypot(...back.map((b, k) => b - nodule.worldMm[k]));
      assert.ok(error < 0.5, `round trip error ${error} mm`);
      // The same point in the scan's own voxels, scaled by spacing, is the
      // working-grid voxel (reference: p = v · spacing − extendbox start).
      const v = worldToVoxel(scan.volume, nodule.worldMm);
      for (let a = 0; a < 3; a++) {
        const expected = v[a] * scan.volume.spacingMm[a] -
          pre.extendboxStart[a];
        assert.ok(Math.abs(p[a] - expected) < 1e-6, `axis ${a}`);
      }
      // The image there is nodule tissue, not lung: solid nodules read
      // about (HU + 1200)/1800 · 255 ≥ 120, lung ≈ 50; ground glass ≥ 60.
      const q = p.map(Math.round);
      const value =
        pre.image[(q[0] * pre.shape[1] + q[1]) * pre.shape[2] + q[2]];
      assert.ok(
        value >= 60,
        `${nodule.type} ${nodule.diameterMm.toFixed(1)} mm reads ${value}`,
      );
      checked++;
    }
  }
  assert.ok(checked >= 4, `${checked} annotations checked`);
});
