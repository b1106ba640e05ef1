import assert from "node:assert/strict";
import { createRng } from "../random.ts";
import type { Zyx } from "../volume.ts";
import { cityBlockDistance, squaredDistanceToSet } from "./distance.ts";

function randomMask(shape: Zyx, p: number, seed: number): Uint8Array {
  const rng = createRng(seed);
  const m = new Uint8Array(shape[0] * shape[1] * shape[2]);
  for (let i = 0; i < m.length; i++) m[i] = rng.next() < p ? 1 : 0;
  return m;
}

function coords(i: number, shape: Zyx): Zyx {
  const [, ny, nx] = shape;
  return [Math.floor(i / (ny * nx)), Math.floor(i / nx) % ny, i % nx];
}

// Reference: iterate binary dilation / erosion with the 6-connected cross.
function iterate(
  mask: Uint8Array,
  shape: Zyx,
  op: "dilate" | "erode",
): Uint8Array {
  const [nz, ny, nx] = shape;
  const out = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) {
    const [z, y, x] = coords(i, shape);
    const around = [
      [z, y, x],
      [z - 1, y, x],
      [z + 1, y, x],
      [z, y - 1, x],
      [z, y + 1, x],
      [z, y, x - 1],
      [z, y, x + 1],
    ].map(([a, b, c]) =>
      a < 0 || a >= nz || b < 0 || b >= ny || c < 0 || c >= nx
        ? 0
        : mask[(a * ny + b) * nx + c]
    );
    out[i] = op === "dilate"
      ? (around.some((v) => v) ? 1 : 0)
      : (around.every((v) => v) ? 1 : 0);
  }
  return out;
}

Deno.test("cityBlockDistance() equals repeated dilation with the 6-connected cross", () => {
  const shape: Zyx = [6, 7, 8];
  const mask = randomMask(shape, 0.03, 3);
  const d = cityBlockDistance(mask, shape, "set", 20);
  let dilated = mask;
  for (let k = 0; k <= 6; k++) {
    for (let i = 0; i < mask.length; i++) {
      assert.equal(d[i] <= k ? 1 : 0, dilated[i], `k=${k} voxel ${i}`);
    }
    dilated = iterate(dilated, shape, "dilate");
  }
});

Deno.test("cityBlockDistance() equals repeated erosion, the outside counting as background", () => {
  const shape: Zyx = [7, 8, 9];
  const mask = randomMask(shape, 0.9, 4);
  const d = cityBlockDistance(mask, shape, "unset", 30);
  let eroded = mask;
  for (let k = 0; k <= 4; k++) {
    for (let i = 0; i < mask.length; i++) {
      assert.equal(d[i] > k ? 1 : 0, eroded[i], `k=${k} voxel ${i}`);
    }
    eroded = iterate(eroded, shape, "erode");
  }
});

Deno.test("cityBlockDistance() caps values and checks the cap", () => {
  const d = cityBlockDistance(
    new Uint8Array([1, 0, 0, 0, 0]),
    [1, 1, 5],
    "set",
    2,
  );
  assert.deepEqual([...d], [0, 1, 2, 2, 2]);
  assert.throws(
    () => cityBlockDistance(new Uint8Array(1), [1, 1, 1], "set", 0),
    {
      name: "RangeError",
      message:
        "Cannot compute distances: cap is 0, expected an integer in [1, 65534]",
    },
  );
});

Deno.test("squaredDistanceToSet() matches brute force with anisotropic spacing", () => {
  const shape: Zyx = [5, 9, 7];
  const spacing: Zyx = [2.5, 0.7, 0.9];
  for (const p of [0.02, 0.2]) {
    const mask = randomMask(shape, p, Math.round(p * 100));
    const set = [...mask.keys()].filter((i) => mask[i]).map((i) =>
      coords(i, shape)
    );
    const d = squaredDistanceToSet(mask, shape, spacing);
    for (let i = 0; i < mask.length; i++) {
      const [z, y, x] = coords(i, shape);
      let best = Infinity;
      for (const [a, b, c] of set) {
        const v = ((z - a) * spacing[0]) ** 2 + ((y - b) * spacing[1]) ** 2 +
          ((x - c) * spacing[2]) ** 2;
        if (v < best) best = v;
      }
      assert.ok(
        Math.abs(d[i] - best) <= 1e-4 * Math.max(1, best),
        `voxel ${i}`,
      );
    }
  }
});

Deno.test("squaredDistanceToSet() gives Infinity without any set voxel", () => {
  const d = squaredDistanceToSet(new Uint8Array(8), [2, 2, 2], [1, 1, 1]);
  assert.ok(d.every((v) => v === Infinity));
});

Deno.test("squaredDistanceToSet() with planar transforms each plane on its own", () => {
  const shape: Zyx = [2, 1, 4];
  const mask = new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0]);
  const d = squaredDistanceToSet(mask, shape, [1, 1, 1], true);
  assert.deepEqual([...d], [
    0,
    1,
    4,
    9,
    Infinity,
    Infinity,
    Infinity,
    Infinity,
  ]);
  const d3 = squaredDistanceToSet(mask, shape, [1, 1, 1]);
  assert.deepEqual([...d3], [0, 1, 4, 9, 1, 2, 5, 10]);
});
