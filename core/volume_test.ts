import assert from "node:assert/strict";
import { createRng } from "./random.ts";
import {
  createVolume,
  cubeIou,
  flipAxis,
  invert3,
  type Matrix3,
  preprocessedGeometry,
  preprocessedToWorld,
  resample,
  resampledShape,
  sliceZ,
  voxelToWorld,
  worldToPreprocessed,
  worldToVoxel,
  xyzFromZyx,
  type Zyx,
  zyxFromXyz,
} from "./volume.ts";

function assertClose(
  actual: readonly number[],
  expected: readonly number[],
  tol = 1e-9,
): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) =>
    assert.ok(
      Math.abs(a - expected[i]) <= tol,
      `[${actual}] vs [${expected}] at ${i}`,
    )
  );
}

// Voxel x → world -y, voxel y → world +x, voxel z → world -z (columns of the ZYX matrix).
const ROTATED_FLIPPED: Matrix3 = [-1, 0, 0, 0, 0, -1, 0, 1, 0];

Deno.test("voxelToWorld() follows the direction columns with a flipped, rotated matrix", () => {
  const v = createVolume(new Int16Array(24), [2, 3, 4], {
    spacingMm: [2.5, 0.5, 0.7],
    originMm: [-100, 20, 30],
    direction: ROTATED_FLIPPED,
  });
  // One step along voxel x (0.7 mm) moves world y by -0.7.
  assertClose(voxelToWorld(v, [0, 0, 1]), [-100, 19.3, 30]);
  // One step along voxel y (0.5 mm) moves world x by +0.5.
  assertClose(voxelToWorld(v, [0, 1, 0]), [-100, 20, 30.5]);
  // One step along voxel z (2.5 mm) moves world z by -2.5.
  assertClose(voxelToWorld(v, [1, 0, 0]), [-102.5, 20, 30]);
});

Deno.test("worldToVoxel() inverts voxelToWorld() for flipped and oblique directions", () => {
  const rng = createRng(7);
  const c = Math.cos(0.3), s = Math.sin(0.3);
  const oblique: Matrix3 = [1, 0, 0, 0, c, -s, 0, s, c];
  for (
    const direction of [
      ROTATED_FLIPPED,
      oblique,
      [1, 0, 0, 0, -1, 0, 0, 0, -1] as Matrix3,
    ]
  ) {
    const geometry = {
      spacingMm: [2.5, 0.7, 0.9] as Zyx,
      originMm: [-300, 50, 100] as Zyx,
      direction,
    };
    for (let k = 0; k < 50; k++) {
      const voxel: Zyx = [
        rng.uniform(-5, 50),
        rng.uniform(-5, 500),
        rng.uniform(-5, 500),
      ];
      assertClose(
        worldToVoxel(geometry, voxelToWorld(geometry, voxel)),
        voxel,
        1e-9,
      );
    }
  }
});

Deno.test("invert3() inverts a matrix and rejects a singular one", () => {
  const m: Matrix3 = [2, 0, 1, 0, 1, 0, 1, 0, 1];
  const inv = invert3(m);
  // m · inv = I, computed by hand-written product.
  const product = [0, 1, 2].flatMap((r) =>
    [0, 1, 2].map((c) =>
      m[r * 3] * inv[c] + m[r * 3 + 1] * inv[3 + c] + m[r * 3 + 2] * inv[6 + c]
    )
  );
  assertClose(product, [1, 0, 0, 0, 1, 0, 0, 0, 1], 1e-12);
  assert.throws(() => invert3([1, 2, 3, 2, 4, 6, 0, 0, 1]), /determinant is 0/);
});

Deno.test("zyxFromXyz() and xyzFromZyx() reverse the axis order", () => {
  assert.deepEqual(zyxFromXyz([1, 2, 3]), [3, 2, 1]);
  assert.deepEqual(xyzFromZyx([3, 2, 1]), [1, 2, 3]);
});

Deno.test("cubeIou() matches hand-computed overlaps", () => {
  const a = { voxel: [0, 0, 0] as Zyx, diameter: 2 };
  assert.equal(cubeIou(a, a), 1);
  // Shifted by 1 along z: overlap 1×2×2 = 4, union 8 + 8 − 4 = 12.
  assert.equal(cubeIou(a, { voxel: [1, 0, 0], diameter: 2 }), 4 / 12);
  // Shifted by (1, 1, 1): overlap 1, union 15.
  assert.equal(cubeIou(a, { voxel: [1, 1, 1], diameter: 2 }), 1 / 15);
  // A unit cube centred inside: overlap 1, union 8.
  assert.equal(cubeIou(a, { voxel: [0, 0, 0], diameter: 1 }), 1 / 8);
  // Touching faces and disjoint cubes do not overlap.
  assert.equal(cubeIou(a, { voxel: [2, 0, 0], diameter: 2 }), 0);
  assert.equal(cubeIou(a, { voxel: [0, 5, 0], diameter: 2 }), 0);
  assert.equal(
    cubeIou({ voxel: [0, 0, 0], diameter: 0 }, {
      voxel: [0, 0, 0],
      diameter: 0,
    }),
    0,
  );
});

Deno.test("createVolume() rejects a data length or spacing that does not fit", () => {
  assert.throws(
    () => createVolume(new Int16Array(5), [1, 2, 3]),
    /shape is \[5\], expected \[6\]/,
  );
  assert.throws(
    () => createVolume(new Int16Array(6), [1, 2, 3], { spacingMm: [1, 0, 1] }),
    /spacing is \[1, 0, 1\] mm, expected finite values > 0/,
  );
});

Deno.test("resampledShape() rounds shape · spacing / target and keeps at least one voxel", () => {
  assert.deepEqual(
    resampledShape([300, 512, 512], [2.5, 0.7, 0.7], [1, 1, 1]),
    [750, 358, 358],
  );
  assert.deepEqual(resampledShape([1, 3, 3], [1, 1, 1], [5, 5, 2]), [1, 1, 2]);
});

Deno.test("resample() linear interpolates along x with edge clamping", () => {
  const v = createVolume(new Int16Array([0, 10, 20, 30]), [1, 1, 4]);
  const r = resample(v, [1, 1, 0.5], "linear");
  assert.ok(r.data instanceof Int16Array);
  assert.deepEqual(r.shape, [1, 1, 8]);
  // Samples at 0, 0.5, …, 3.5; 3.5 is past the last voxel and clamps to it.
  assert.deepEqual(Array.from(r.data), [0, 5, 10, 15, 20, 25, 30, 30]);
  assert.deepEqual(r.spacingMm, [1, 1, 0.5]);
});

Deno.test("resample() linear takes the mean of 8 corners at a cell centre", () => {
  const corners = [3, -7, 11, 2, 0.5, 9, -4, 6];
  const v = createVolume(new Float32Array(corners), [2, 2, 2]);
  const r = resample(v, [0.5, 0.5, 0.5], "linear");
  assert.ok(r.data instanceof Float32Array);
  assert.deepEqual(r.shape, [4, 4, 4]);
  const mean = corners.reduce((a, b) => a + b) / 8;
  assert.ok(Math.abs(r.data[(1 * 4 + 1) * 4 + 1] - mean) < 1e-6);
  // The corner (0, 0, 0) and a point on the edge x = 0.5 of the first row.
  assert.equal(r.data[0], 3);
  assert.ok(Math.abs(r.data[1] - (3 + -7) / 2) < 1e-6);
});

Deno.test("resample() linear reproduces a linear field exactly and clamps past the edge", () => {
  const [nz, ny, nx] = [4, 5, 6];
  const f = (z: number, y: number, x: number) => 100 * z - 10 * y + 0.5 * x;
  const data = new Float64Array(nz * ny * nx);
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) data[(z * ny + y) * nx + x] = f(z, y, x);
    }
  }
  const spacing: Zyx = [2, 1.5, 1];
  const target: Zyx = [0.7, 1.1, 2.5];
  const v = createVolume(data, [nz, ny, nx], { spacingMm: spacing });
  const r = resample(v, target, "linear");
  assert.ok(
    r.data instanceof Float32Array,
    "float64 input gives float32 output",
  );
  assert.deepEqual(r.shape, resampledShape([nz, ny, nx], spacing, target));
  const [mz, my, mx] = r.shape;
  for (let z = 0; z < mz; z++) {
    for (let y = 0; y < my; y++) {
      for (let x = 0; x < mx; x++) {
        const c = [
          z * target[0] / spacing[0],
          y * target[1] / spacing[1],
          x * target[2] / spacing[2],
        ];
        const expected = f(
          Math.min(c[0], nz - 1),
          Math.min(c[1], ny - 1),
          Math.min(c[2], nx - 1),
        );
        const got = r.data[(z * my + y) * mx + x];
        assert.ok(
          Math.abs(got - expected) < 1e-3,
          `(${z}, ${y}, ${x}): ${got} vs ${expected}`,
        );
      }
    }
  }
});

Deno.test("resample() linear rounds back to the integer input type, half up", () => {
  const v = createVolume(new Int16Array([-1, 0, 0, 1]), [1, 1, 4]);
  const r = resample(v, [1, 1, 0.25], "linear");
  assert.ok(r.data instanceof Int16Array);
  // Samples -1, -0.75, -0.5, -0.25, 0, 0, 0, 0, 0, 0.25, 0.5, 0.75, 1 …
  assert.deepEqual(Array.from(r.data).slice(0, 13).map((x) => x + 0), [
    -1,
    -1,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    1,
    1,
    1,
  ]);
  const u = resample(createVolume(new Uint8Array([0, 255]), [1, 1, 2]), [
    1,
    1,
    0.5,
  ], "linear");
  assert.ok(u.data instanceof Uint8Array);
  assert.deepEqual(Array.from(u.data), [0, 128, 255, 255]);
});

Deno.test("resample() nearest keeps mask labels and the array type", () => {
  const v = createVolume(new Uint8Array([0, 1, 2, 3]), [1, 1, 4]);
  const up = resample(v, [1, 1, 0.4], "nearest");
  assert.ok(up.data instanceof Uint8Array);
  // Index round(j · 0.4) (half up), clamped to 3.
  assert.deepEqual(Array.from(up.data), [0, 0, 1, 1, 2, 2, 2, 3, 3, 3]);
  const down = resample(v, [1, 1, 2], "nearest");
  assert.deepEqual(Array.from(down.data), [0, 2]);
  // A binary 3-D mask stays binary.
  const rng = createRng(3);
  const mask = new Uint8Array(5 * 6 * 7).map(() => (rng.next() < 0.3 ? 1 : 0));
  const m = resample(
    createVolume(mask, [5, 6, 7], { spacingMm: [2.5, 0.7, 0.7] }),
    [1, 1, 1],
    "nearest",
  );
  assert.ok(m.data.every((x) => x === 0 || x === 1));
  assert.equal(m.data[0], mask[0]);
});

Deno.test("resample() keeps origin and direction, so a world point stays in place", () => {
  const rng = createRng(11);
  const data = new Int16Array(6 * 7 * 8).map(() => rng.int(2000) - 1000);
  const v = createVolume(data, [6, 7, 8], {
    spacingMm: [2, 1, 1.5],
    originMm: [-50, 10, 20],
    direction: ROTATED_FLIPPED,
  });
  for (const interpolation of ["linear", "nearest"] as const) {
    const r = resample(v, [1, 2, 0.5], interpolation);
    assert.deepEqual(r.originMm, v.originMm);
    assert.deepEqual(r.direction, v.direction);
    assert.deepEqual(r.spacingMm, [1, 2, 0.5]);
    // Input voxel (2, 4, 6) is output voxel (4, 2, 18): same world point, same value.
    const world = voxelToWorld(v, [2, 4, 6]);
    assertClose(worldToVoxel(r, world), [4, 2, 18], 1e-9);
    const [, my, mx] = r.shape;
    assert.equal(
      r.data[(4 * my + 2) * mx + 18],
      data[(2 * 7 + 4) * 8 + 6],
      interpolation,
    );
  }
});

Deno.test("resample() rejects a bad target spacing or interpolation", () => {
  const v = createVolume(new Int16Array(8), [2, 2, 2]);
  assert.throws(
    () => resample(v, [1, 0, 1], "linear"),
    /target spacing is \[1, 0, 1\] mm, expected finite values > 0/,
  );
  assert.throws(
    () => resample(v, [1, NaN, 1], "nearest"),
    /expected finite values > 0/,
  );
  assert.throws(
    () => resample(v, [1, 1, 1], "cubic" as "linear"),
    /interpolation is "cubic", expected "linear" or "nearest"/,
  );
});

Deno.test("sliceZ() returns a view of one plane", () => {
  const v = createVolume(new Int16Array([1, 2, 3, 4, 5, 6]), [3, 1, 2]);
  assert.deepEqual(Array.from(sliceZ(v, 1)), [3, 4]);
  sliceZ(v, 2)[0] = 50;
  assert.equal(v.data[4], 50);
  assert.throws(() => sliceZ(v, 3), /z is 3, expected an integer in \[0, 3\)/);
});

// --- The preprocessed grid ---------------------------------------------------

Deno.test("worldToPreprocessed() and preprocessedToWorld() are inverse for flipped and rotated directions", () => {
  const c = Math.cos(0.3), s = Math.sin(0.3);
  const directions: Matrix3[] = [
    [1, 0, 0, 0, 1, 0, 0, 0, 1],
    [1, 0, 0, 0, -1, 0, 0, 0, -1],
    [1, 0, 0, 0, c, -s, 0, s, c],
  ];
  for (const direction of directions) {
    const grid = {
      sourceOriginMm: [-310.5, 140.25, 170.8] as Zyx,
      direction,
      resolutionMm: 1,
      extendboxStart: [12, 40, 33] as Zyx,
    };
    for (const world of [[-200, 10, 5], [-150.3, -22.7, 64.1]] as Zyx[]) {
      const back = preprocessedToWorld(grid, worldToPreprocessed(grid, world));
      for (let a = 0; a < 3; a++) {
        assert.ok(Math.abs(back[a] - world[a]) < 1e-9);
      }
    }
  }
});

Deno.test("worldToPreprocessed() matches the reference formula for an identity scan", () => {
  // Reference §1.7: v = (w − origin) / spacing; p = v · spacing − extendbox start.
  const grid = {
    sourceOriginMm: [-300, -150, -160] as Zyx,
    direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] as Matrix3,
    resolutionMm: 1,
    extendboxStart: [7, 20, 31] as Zyx,
  };
  const world: Zyx = [-120.5, 3.25, 18];
  const p = worldToPreprocessed(grid, world);
  assert.deepEqual(p, [-120.5 + 300 - 7, 3.25 + 150 - 20, 18 + 160 - 31]);
  // A 2 mm working grid halves the voxel coordinates.
  const half = worldToPreprocessed({ ...grid, resolutionMm: 2 }, world);
  assert.deepEqual(half, [
    (-120.5 + 300) / 2 - 7,
    (3.25 + 150) / 2 - 20,
    (18 + 160) / 2 - 31,
  ]);
});

Deno.test("preprocessedGeometry() rejects a non-positive resolution", () => {
  assert.throws(
    () =>
      preprocessedGeometry({
        sourceOriginMm: [0, 0, 0],
        direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
        resolutionMm: 0,
        extendboxStart: [0, 0, 0],
      }),
    {
      name: "RangeError",
      message:
        "Cannot place preprocessed grid: resolution is 0 mm, expected a finite value > 0",
    },
  );
});

Deno.test("flipAxis() reverses one axis of a multi-channel array: hand-computed 2×2×2 × 2 case, involution, wrong length rejected", () => {
  // Voxel (z, y, x) holds [zyx as a 3-digit number, its negative].
  const shape = [2, 2, 2] as const;
  const data = new Float32Array(16);
  for (let z = 0; z < 2; z++) {
    for (let y = 0; y < 2; y++) {
      for (let x = 0; x < 2; x++) {
        const v = 100 * z + 10 * y + x, i = ((z * 2 + y) * 2 + x) * 2;
        data[i] = v;
        data[i + 1] = -v;
      }
    }
  }
  const first = (a: Float32Array) => [...a].filter((_, i) => i % 2 === 0);
  assert.deepEqual(first(flipAxis(data, shape, 0, 2)), [
    100,
    101,
    110,
    111,
    0,
    1,
    10,
    11,
  ]);
  assert.deepEqual(first(flipAxis(data, shape, 1, 2)), [
    10,
    11,
    0,
    1,
    110,
    111,
    100,
    101,
  ]);
  assert.deepEqual(first(flipAxis(data, shape, 2, 2)), [
    1,
    0,
    11,
    10,
    101,
    100,
    111,
    110,
  ]);
  // Channels travel with their voxel.
  const flipped = flipAxis(data, shape, 2, 2);
  for (let i = 0; i < 16; i += 2) assert.equal(flipped[i + 1], -flipped[i]);
  // Flipping twice is the identity, on a random odd-sized array too.
  const rng = createRng(4);
  const odd = Float32Array.from({ length: 3 * 5 * 7 }, () => rng.next());
  for (const axis of [0, 1, 2] as const) {
    assert.deepEqual(
      flipAxis(flipAxis(odd, [3, 5, 7], axis), [3, 5, 7], axis),
      odd,
    );
  }
  assert.throws(() => flipAxis(data, shape, 0), /array to flip/);
});
