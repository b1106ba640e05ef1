import assert from "node:assert/strict";
import type { Zyx } from "../../core/mod.ts";
import {
  extractMain,
  fillHoles3d,
  REFERENCE_SEPARATE,
  separateLungs,
} from "./separate.ts";

function block(
  mask: Uint8Array,
  shape: Zyx,
  [z0, z1]: [number, number],
  [y0, y1]: [number, number],
  [x0, x1]: [number, number],
  value = 1,
) {
  const [, ny, nx] = shape;
  for (let z = z0; z < z1; z++) {
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) mask[(z * ny + y) * nx + x] = value;
    }
  }
}
const count = (m: Uint8Array) => m.reduce((a, b) => a + b, 0);

Deno.test("fillHoles3d() fills an enclosed cavity and leaves a tunnel to the outside open", () => {
  const shape: Zyx = [10, 10, 10];
  const closed = new Uint8Array(1000);
  block(closed, shape, [2, 8], [2, 8], [2, 8]);
  block(closed, shape, [4, 6], [4, 6], [4, 6], 0);
  assert.equal(fillHoles3d(closed, shape), 8);
  assert.equal(count(closed), 216);
  const open = new Uint8Array(1000);
  block(open, shape, [2, 8], [2, 8], [2, 8]);
  block(open, shape, [4, 6], [4, 6], [4, 8], 0); // tunnel through x = 7
  const before = count(open);
  assert.equal(fillHoles3d(open, shape), 0);
  assert.equal(count(open), before);
});

Deno.test("fillHoles3d() treats only complement components at the volume corners as background", () => {
  // A tube along z, open at both z faces: its inside touches the faces but no
  // corner, so the reference fills it (only corner components are outside).
  const shape: Zyx = [6, 6, 6];
  const tube = new Uint8Array(216);
  block(tube, shape, [0, 6], [1, 5], [1, 5]);
  block(tube, shape, [0, 6], [2, 4], [2, 4], 0);
  assert.equal(fillHoles3d(tube, shape), 2 * 2 * 6);
  // A slab touching the corner column x = y = 0 leaves that column outside.
  const corner = new Uint8Array(216);
  block(corner, shape, [0, 6], [0, 3], [0, 3]);
  block(corner, shape, [0, 6], [0, 1], [0, 1], 0);
  assert.equal(fillHoles3d(corner, shape), 0);
});

Deno.test("separateLungs() splits two lungs joined by a bridge and assigns the bridge to the nearer lung", () => {
  const shape: Zyx = [10, 20, 40];
  const mask = new Uint8Array(10 * 20 * 40);
  block(mask, shape, [1, 9], [3, 17], [2, 16]); // lung A: 8 × 14 × 14
  block(mask, shape, [1, 9], [3, 17], [24, 36]); // lung B: 8 × 14 × 12
  block(mask, shape, [4, 6], [9, 11], [16, 24]); // 2 × 2 bridge, columns 16–23
  const sep = separateLungs(mask, shape, [2, 2, 2], REFERENCE_SEPARATE);
  assert.ok(sep.erosions >= 1, `${sep.erosions}`);
  const at = (m: Uint8Array, z: number, y: number, x: number) =>
    m[(z * 20 + y) * 40 + x];
  // Lung 1 is the larger (A); each bridge column goes to the nearer seed:
  // after one erosion A's seed ends at column 14 and B's starts at 25, so
  // columns 16–19 are nearer A and 20–23 nearer B.
  for (let x = 16; x < 24; x++) {
    assert.equal(at(sep.lung1, 4, 9, x), x <= 19 ? 1 : 0, `column ${x}`);
    assert.equal(at(sep.lung2, 4, 9, x), x >= 20 ? 1 : 0, `column ${x}`);
  }
  assert.equal(count(sep.lung1) + count(sep.lung2), count(mask));
  assert.equal(sep.ties, 0);
});

Deno.test("separateLungs() returns one lung when no two seeds of comparable size appear", () => {
  const shape: Zyx = [8, 12, 12];
  const mask = new Uint8Array(8 * 12 * 12);
  block(mask, shape, [1, 7], [1, 11], [1, 11]);
  const sep = separateLungs(mask, shape, [1, 1, 1], REFERENCE_SEPARATE);
  assert.equal(sep.erosions, -1);
  assert.equal(count(sep.lung1), count(mask));
  assert.equal(count(sep.lung2), 0);
});

Deno.test("extractMain() keeps the largest 3D component and hull-clips each slice", () => {
  const shape: Zyx = [4, 12, 12];
  const lung = new Uint8Array(4 * 12 * 12);
  block(lung, shape, [0, 4], [2, 10], [2, 10]);
  block(lung, shape, [1, 2], [0, 1], [11, 12]); // a stray voxel: another component
  extractMain(lung, shape, 0.95);
  assert.equal(count(lung), 4 * 64);
});
