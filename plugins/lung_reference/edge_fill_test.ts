import assert from "node:assert/strict";
import type { Zyx } from "../../core/mod.ts";
import { closeSlices, fillNotches } from "./edge_fill.ts";

// A lung slice filling rows 20–69 of an n × n plane (its top edge is a flat
// wall) with a round bite of radius r px, its centre `depth` px below the
// wall (a juxtapleural nodule inside the lung outline).
function bittenWall(n: number, r: number, depth: number) {
  const lung = new Uint8Array(n * n);
  const bite = new Uint8Array(n * n);
  const by = 20 + depth, bx = (n - 1) / 2;
  for (let y = 20; y < 70; y++) {
    for (let x = 5; x < n - 5; x++) {
      if (Math.hypot(y - by, x - bx) <= r) bite[y * n + x] = 1;
      else lung[y * n + x] = 1;
    }
  }
  return { lung, bite, centre: by * n + Math.round(bx) };
}

Deno.test("closeSlices() fills a wall nodule smaller than the disc and leaves the outside alone", () => {
  const n = 80;
  // 1.5 mm pixels: the closing runs on the full grid. Nodule radius 5 px
  // (7.5 mm), centre 2 px below the wall; disc radius 10 px (15 mm).
  const { lung, bite, centre } = bittenWall(n, 5, 2);
  const shape: Zyx = [1, n, n];
  const before = lung.slice();
  const added = closeSlices(lung, null, shape, [1, 1.5, 1.5], 15);
  assert.ok(added > 0);
  assert.equal(lung[centre], 1, "the nodule centre is filled");
  // Only bite pixels are added: the flat wall has no other notch.
  for (let i = 0; i < n * n; i++) {
    if (lung[i] && !before[i]) assert.equal(bite[i], 1, `pixel ${i}`);
  }
  let filled = 0, total = 0;
  for (let i = 0; i < n * n; i++) {
    if (bite[i]) {
      total++;
      filled += lung[i];
    }
  }
  assert.ok(filled > 0.8 * total, `${filled}/${total}`);
});

Deno.test("closeSlices() does not fill a nodule wider than the disc, and never writes into the other lung", () => {
  const n = 80;
  const { lung, centre } = bittenWall(n, 12, 4);
  const other = new Uint8Array(n * n);
  other[centre + n] = 1;
  closeSlices(lung, other, [1, n, n], [1, 1.5, 1.5], 7.5);
  assert.equal(lung[centre], 0);
  assert.equal(lung[centre + n], 0);
});

Deno.test("fillNotches() fills a compact notch and skips a sliver along the wall and large notches", () => {
  const n = 80;
  const shape: Zyx = [1, n, n];
  const { lung, centre } = bittenWall(n, 8, 3);
  const big = lung.slice();
  // The notch is the bite (≈ π·8² ≈ 200 px², mouth ≈ 2·√(8² − 3²) ≈ 15 px):
  // filled under a 300 mm² limit at 1 mm pixels, left open under 100 mm².
  assert.ok(fillNotches(lung, null, shape, [1, 1, 1], 300) > 150);
  assert.equal(lung[centre], 1);
  assert.equal(fillNotches(big, null, shape, [1, 1, 1], 100), 0);
  assert.equal(big[centre], 0);
  // A 1-pixel-deep, 40-pixel-long dent along the wall: area 40, mouth 40.
  const dent = new Uint8Array(n * n);
  for (let y = 10; y < 70; y++) {
    for (let x = 10; x < 70; x++) dent[y * n + x] = 1;
  }
  for (let x = 20; x < 60; x++) dent[10 * n + x] = 0;
  assert.equal(fillNotches(dent, null, shape, [1, 1, 1], 1000), 0);
  assert.equal(dent[10 * n + 40], 0);
});
