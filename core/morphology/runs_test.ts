import assert from "node:assert/strict";
import { createRng } from "../random.ts";
import type { Zyx } from "../volume.ts";
import {
  type Connectivity,
  cropMask,
  growBox,
  labelAt,
  labelMask,
  maskBox,
  maskRuns,
  paintLabels,
  pasteMask,
} from "./runs.ts";

function randomMask(shape: Zyx, p: number, seed: number): Uint8Array {
  const rng = createRng(seed);
  const m = new Uint8Array(shape[0] * shape[1] * shape[2]);
  for (let i = 0; i < m.length; i++) m[i] = rng.next() < p ? 1 : 0;
  return m;
}

// Independent reference: breadth-first flood fill over explicit offsets.
function floodLabels(
  mask: Uint8Array,
  shape: Zyx,
  connectivity: Connectivity,
): { labels: Int32Array; count: number } {
  const [nz, ny, nx] = shape;
  const offsets: [number, number, number][] = [];
  for (let dz = -1; dz <= 1; dz++) {
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const n = Math.abs(dz) + Math.abs(dy) + Math.abs(dx);
        if (n === 0) continue;
        const planar = connectivity === 4 || connectivity === 8;
        if (planar && dz !== 0) continue;
        const maxNonZero = { 4: 1, 8: 2, 6: 1, 18: 2, 26: 3 }[connectivity];
        if (n > maxNonZero) continue;
        offsets.push([dz, dy, dx]);
      }
    }
  }
  const labels = new Int32Array(mask.length);
  let count = 0;
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || labels[start]) continue;
    labels[start] = ++count;
    const stack = [start];
    while (stack.length) {
      const p = stack.pop()!;
      const z = Math.floor(p / (ny * nx)),
        y = Math.floor(p / nx) % ny,
        x = p % nx;
      for (const [dz, dy, dx] of offsets) {
        const a = z + dz, b = y + dy, c = x + dx;
        if (a < 0 || a >= nz || b < 0 || b >= ny || c < 0 || c >= nx) continue;
        const q = (a * ny + b) * nx + c;
        if (mask[q] && !labels[q]) {
          labels[q] = count;
          stack.push(q);
        }
      }
    }
  }
  return { labels, count };
}

Deno.test("maskRuns() encodes every run of every row", () => {
  const mask = new Uint8Array([
    1,
    1,
    0,
    1, //
    0,
    0,
    0,
    0, //
    0,
    1,
    1,
    1, //
  ]);
  const runs = maskRuns(mask, [1, 3, 4]);
  assert.equal(runs.count, 3);
  assert.deepEqual([...runs.rowStart], [0, 2, 2, 3]);
  assert.deepEqual([...runs.x0], [0, 3, 1]);
  assert.deepEqual([...runs.x1], [2, 4, 4]);
});

Deno.test("maskRuns() ignores voxels outside the box", () => {
  const mask = new Uint8Array(2 * 2 * 4).fill(1);
  const runs = maskRuns(mask, [2, 2, 4], {
    z0: 1,
    z1: 2,
    y0: 0,
    y1: 1,
    x0: 1,
    x1: 3,
  });
  assert.equal(runs.count, 1);
  assert.deepEqual([runs.x0[0], runs.x1[0]], [1, 3]);
  assert.equal(runs.rowStart[2], 0);
});

for (const connectivity of [4, 8, 6, 18, 26] as Connectivity[]) {
  Deno.test(`labelRuns() matches a flood fill with connectivity ${connectivity}`, () => {
    for (let seed = 1; seed <= 6; seed++) {
      const shape: Zyx = [5, 9, 11];
      const mask = randomMask(shape, 0.35 + 0.05 * seed, seed);
      const runs = labelMask(mask, shape, connectivity);
      const ref = floodLabels(mask, shape, connectivity);
      assert.equal(runs.components, ref.count);
      // Same partition, and numbering by first voxel in raster order.
      const dense = new Int32Array(mask.length);
      for (let l = 1; l <= runs.components; l++) {
        const keep = new Uint8Array(runs.components + 1);
        keep[l] = 1;
        paintLabels(runs, keep, dense, l);
      }
      assert.deepEqual([...dense], [...ref.labels]);
      let total = 0;
      for (let l = 1; l <= runs.components; l++) total += runs.sizes[l];
      assert.equal(total, mask.reduce((a, b) => a + b, 0));
    }
  });
}

Deno.test("labelRuns() rejects an unknown connectivity", () => {
  assert.throws(
    () => labelMask(new Uint8Array(1), [1, 1, 1], 5 as Connectivity),
    {
      name: "RangeError",
      message:
        "Cannot label components: connectivity is 5, expected 4, 8, 6, 18 or 26",
    },
  );
});

Deno.test("labelAt() finds the component of a voxel and 0 off the mask", () => {
  const mask = new Uint8Array([1, 0, 1, 1]);
  const runs = labelMask(mask, [1, 1, 4], 6);
  assert.deepEqual(
    [0, 1, 2, 3, 9].map((x) => labelAt(runs, 0, 0, x)),
    [1, 0, 2, 2, 0],
  );
});

Deno.test("maskBox(), growBox(), cropMask() and pasteMask() agree", () => {
  const shape: Zyx = [4, 5, 6];
  const mask = new Uint8Array(4 * 5 * 6);
  mask[(1 * 5 + 2) * 6 + 3] = 1;
  mask[(2 * 5 + 3) * 6 + 1] = 1;
  const box = maskBox(mask, shape)!;
  assert.deepEqual(box, { z0: 1, z1: 3, y0: 2, y1: 4, x0: 1, x1: 4 });
  assert.equal(maskBox(new Uint8Array(8), [2, 2, 2]), null);
  const grown = growBox(box, [1, 1, 5], shape);
  assert.deepEqual(grown, { z0: 0, z1: 4, y0: 1, y1: 5, x0: 0, x1: 6 });
  const part = cropMask(mask, shape, box);
  assert.equal(part.reduce((a, b) => a + b, 0), 2);
  const back = new Uint8Array(mask.length);
  pasteMask(part, box, back, shape);
  assert.deepEqual(back, mask);
});

Deno.test("maskBox() finds the same box with and without the word-wise scan", () => {
  const shape: Zyx = [3, 4, 8];
  for (let seed = 1; seed <= 5; seed++) {
    const mask = randomMask(shape, 0.02 * seed, seed);
    // A copy at an odd byte offset forces the byte-wise path.
    const buffer = new Uint8Array(mask.length + 1);
    buffer.set(mask, 1);
    const odd = buffer.subarray(1);
    let expected = null as null | {
      z0: number;
      z1: number;
      y0: number;
      y1: number;
      x0: number;
      x1: number;
    };
    for (let i = 0; i < mask.length; i++) {
      if (!mask[i]) continue;
      const z = Math.floor(i / 32), y = Math.floor(i / 8) % 4, x = i % 8;
      expected = expected
        ? {
          z0: Math.min(expected.z0, z),
          z1: Math.max(expected.z1, z + 1),
          y0: Math.min(expected.y0, y),
          y1: Math.max(expected.y1, y + 1),
          x0: Math.min(expected.x0, x),
          x1: Math.max(expected.x1, x + 1),
        }
        : { z0: z, z1: z + 1, y0: y, y1: y + 1, x0: x, x1: x + 1 };
    }
    assert.deepEqual(maskBox(mask, shape), expected);
    assert.deepEqual(maskBox(odd, shape), expected);
  }
});
