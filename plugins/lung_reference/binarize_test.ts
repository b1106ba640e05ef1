import assert from "node:assert/strict";
import { createVolume } from "../../core/mod.ts";
import {
  binarizePerSlice,
  eccentricity,
  gaussianWeights,
  REFERENCE_BINARIZE,
} from "./binarize.ts";

Deno.test("gaussianWeights() equals scipy's gaussian_filter1d kernel for sigma 1, truncate 2", () => {
  // scipy.ndimage._gaussian_kernel1d(1, 0, 2), normalised.
  const expected = [0.05448868, 0.24420134, 0.40261995, 0.24420134, 0.05448868];
  const w = gaussianWeights(1, 2);
  assert.equal(w.length, 5);
  w.forEach((v, k) => assert.ok(Math.abs(v - expected[k]) < 1e-8));
});

function moments(pixels: [number, number][]) {
  let sy = 0, sx = 0, syy = 0, sxx = 0, sxy = 0;
  for (const [y, x] of pixels) {
    sy += y;
    sx += x;
    syy += y * y;
    sxx += x * x;
    sxy += x * y;
  }
  return eccentricity(pixels.length, sy, sx, syy, sxx, sxy);
}

Deno.test("eccentricity() follows skimage for a line, a square and a rectangle", () => {
  const line: [number, number][] = [0, 1, 2, 3, 4].map((x) => [0, x]);
  assert.equal(moments(line), 1);
  const square: [number, number][] = [];
  for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) square.push([y, x]);
  assert.equal(moments(square), 0);
  // 3 × 5 rectangle: variances (9 − 1)/12 and (25 − 1)/12.
  const rect: [number, number][] = [];
  for (let y = 0; y < 3; y++) for (let x = 0; x < 5; x++) rect.push([y, x]);
  assert.ok(Math.abs(moments(rect) - Math.sqrt(1 - (8 / 12) / 2)) < 1e-12);
  assert.equal(moments([[4, 4]]), 0);
});

Deno.test("binarizePerSlice() keeps air regions larger than 30 mm² and drops smaller ones", () => {
  const [ny, nx] = [24, 24];
  const data = new Int16Array(ny * nx).fill(40);
  // An 8 × 8 air square (64 mm² at 1 mm) and a 3 × 3 one (9 mm²).
  for (let y = 4; y < 12; y++) {
    for (let x = 4; x < 12; x++) data[y * nx + x] = -1000;
  }
  for (let y = 16; y < 19; y++) {
    for (let x = 16; x < 19; x++) data[y * nx + x] = -1000;
  }
  data[0] = 41; // not a constant corner patch
  const volume = createVolume(data, [1, ny, nx]);
  const { mask, circularSlices, insideAirMm2 } = binarizePerSlice(
    volume,
    REFERENCE_BINARIZE,
  );
  assert.equal(circularSlices, 0);
  let big = 0, small = 0;
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      if (!mask[y * nx + x]) continue;
      if (y < 14) big++;
      else small++;
    }
  }
  assert.equal(small, 0);
  // The blur shrinks the square: its 6 × 6 core stays below -600 HU, and a
  // border pixel is at about 0.70·(−1000) + 0.30·40 = −688 HU: kept too.
  assert.ok(big >= 36 && big <= 64, `${big}`);
  assert.equal(insideAirMm2[0], big);
});

Deno.test("binarizePerSlice() ignores everything outside the inscribed circle when the corner patch is constant", () => {
  const n = 32;
  const data = new Int16Array(n * n).fill(-1000);
  const volume = createVolume(data, [1, n, n]);
  const { mask, circularSlices } = binarizePerSlice(volume, REFERENCE_BINARIZE);
  assert.equal(circularSlices, 1);
  // Reference: NaN outside the circle, spread by the 5 × 5 blur window
  // (reflected at the border): a pixel is air only if its window is inside.
  const inside = (y: number, x: number) =>
    Math.hypot(y - (n - 1) / 2, x - (n - 1) / 2) < n / 2;
  const reflect = (i: number) => (i < 0 ? -i - 1 : i >= n ? 2 * n - 1 - i : i);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      let ok = true;
      for (let dy = -2; dy <= 2; dy++) {
        for (let dx = -2; dx <= 2; dx++) {
          if (!inside(reflect(y + dy), reflect(x + dx))) ok = false;
        }
      }
      assert.equal(mask[y * n + x], ok ? 1 : 0, `pixel ${y},${x}`);
    }
  }
});
