import assert from "node:assert/strict";
import { BLOB_FILTER_DEFAULTS, blobResponse } from "./blob_filter.ts";
import { ShapeError } from "./errors.ts";
import type { Zyx } from "./volume.ts";

const N = 31;
const C = 15;
const SHAPE: Zyx = [N, N, N];
const BACKGROUND = 60;
const AMPLITUDE = 100;
const WIDTH = 2;

function at(z: number, y: number, x: number): number {
  return (z * N + y) * N + x;
}

/** A 31³ uint8 volume with `level(z, y, x)` rounded at each voxel. */
function volumeOf(level: (z: number, y: number, x: number) => number) {
  const image = new Uint8Array(N * N * N);
  for (let z = 0; z < N; z++) {
    for (let y = 0; y < N; y++) {
      for (let x = 0; x < N; x++) {
        image[at(z, y, x)] = Math.round(level(z, y, x));
      }
    }
  }
  return image;
}

/** Background plus a Gaussian profile of std WIDTH in the squared distance `r2`. */
function bump(r2: number): number {
  return BACKGROUND + AMPLITUDE * Math.exp(-r2 / (2 * WIDTH * WIDTH));
}

function ballAt(cz: number, cy: number, cx: number): Uint8Array {
  return volumeOf((z, y, x) =>
    bump((z - cz) ** 2 + (y - cy) ** 2 + (x - cx) ** 2)
  );
}

function max(values: Uint8Array): number {
  return values.reduce((a, b) => Math.max(a, b), 0);
}

/**
 * The expected level at the centre of a Gaussian ball, from the continuous
 * model: a ball of std s and amplitude A smoothed by σ is a Gaussian of
 * variance s² + σ² and peak A·(s²/(s² + σ²))^{3/2}. At the centre the
 * Hessian is diagonal with three equal entries, here taken as the central
 * second difference of that continuous profile times σ²; with all three
 * eigenvalues equal to λ < 0, z_dot = λ²/|λ| = |λ|.
 */
function expectedBallCentreLevel(sigmas: readonly number[], gain: number) {
  let best = 0;
  for (const sigma of sigmas) {
    const variance = WIDTH * WIDTH + sigma * sigma;
    const peak = AMPLITUDE * (WIDTH * WIDTH / variance) ** 1.5;
    const profile = (r2: number) => peak * Math.exp(-r2 / (2 * variance));
    const lambda = (profile(1) - 2 * profile(0) + profile(1)) * sigma * sigma;
    if (lambda < 0) best = Math.max(best, -lambda);
  }
  return Math.min(255, Math.round(gain * Math.sqrt(best)));
}

Deno.test("blobResponse() peaks at the centre of a Gaussian ball at the analytic level", () => {
  const image = ballAt(C, C, C);
  const out = blobResponse(image, SHAPE);
  const centre = out[at(C, C, C)];
  assert.equal(centre, max(out));
  assert.ok(centre > out[at(C, C, C + 1)]);
  const expected = expectedBallCentreLevel(
    BLOB_FILTER_DEFAULTS.sigmas,
    BLOB_FILTER_DEFAULTS.gain,
  );
  assert.ok(expected > 50, `expected level ${expected}`);
  assert.ok(
    Math.abs(centre - expected) <= 2,
    `centre level ${centre}, expected ${expected} ± 2`,
  );
  for (const sigma of BLOB_FILTER_DEFAULTS.sigmas) {
    const single = blobResponse(image, SHAPE, { sigmas: [sigma] })[at(C, C, C)];
    const want = expectedBallCentreLevel([sigma], BLOB_FILTER_DEFAULTS.gain);
    assert.ok(
      Math.abs(single - want) <= 2,
      `sigma ${sigma}: centre level ${single}, expected ${want} ± 2`,
    );
  }
});

Deno.test("blobResponse() gives a tube's axis next to nothing and a ball of the same peak much more", () => {
  const tubeFrom = (first: number, last: number) =>
    volumeOf((z, y, x) =>
      x >= first && x <= last ? bump((z - C) ** 2 + (y - C) ** 2) : BACKGROUND
    );
  // A line along x from x = 2 to x = 28 with the ball's cross-section: its
  // ends look like blobs at the larger scales, its middle does not.
  const tubeOut = blobResponse(tubeFrom(2, 28), SHAPE);
  const axis = tubeOut.subarray(at(C, C, 13), at(C, C, 18));
  for (const [k, level] of axis.entries()) {
    assert.ok(level <= 1, `tube axis at x=${13 + k}: level ${level}`);
  }
  const ballOut = blobResponse(ballAt(C, C, C), SHAPE);
  assert.ok(ballOut[at(C, C, C)] >= max(axis) + 20);
  // Through the whole volume the second derivative along x is exactly 0.
  assert.equal(max(blobResponse(tubeFrom(0, N - 1), SHAPE)), 0);
});

Deno.test("blobResponse() gives 0 inside a bright plane", () => {
  const slab = volumeOf((z) => bump((z - C) ** 2));
  const out = blobResponse(slab, SHAPE);
  // The slab is constant in y and x, so two eigenvalues vanish everywhere.
  assert.equal(max(out), 0);
});

Deno.test("blobResponse() leaves pad voxels and the volume's faces at 0", () => {
  const image = ballAt(C, C, C);
  const unpadded = blobResponse(image, SHAPE);
  assert.ok(unpadded[at(C, C, C)] > 0 && unpadded[at(C, C, C - 3)] > 0);

  // The ball's centre and the half x < C - 2 are outside the lungs.
  const padded = image.slice();
  padded[at(C, C, C)] = 170;
  for (let z = 0; z < N; z++) {
    for (let y = 0; y < N; y++) {
      for (let x = 0; x < C - 2; x++) padded[at(z, y, x)] = 170;
    }
  }
  const out = blobResponse(padded, SHAPE);
  for (let i = 0; i < out.length; i++) {
    if (padded[i] === 170) assert.equal(out[i], 0, `pad voxel ${i}`);
  }
  assert.ok(out[at(C, C, C + 1)] > 0);

  // The same with another pad value.
  const zeroPad = image.slice();
  zeroPad[at(C, C, C)] = 0;
  const zeroOut = blobResponse(zeroPad, SHAPE, { pad: 0 });
  assert.equal(zeroOut[at(C, C, C)], 0);
  assert.ok(zeroOut[at(C, C, C + 1)] > 0);

  // A ball two voxels from the z = 0 face responds at z ≥ 1 only.
  const edge = blobResponse(ballAt(2, C, C), SHAPE);
  assert.ok(edge[at(1, C, C)] > 0 && edge[at(2, C, C)] > 0);
  for (let z = 0; z < N; z++) {
    for (let y = 0; y < N; y++) {
      for (let x = 0; x < N; x++) {
        const face = z === 0 || z === N - 1 || y === 0 || y === N - 1 ||
          x === 0 || x === N - 1;
        if (face) assert.equal(edge[at(z, y, x)], 0, `face (${z}, ${y}, ${x})`);
      }
    }
  }
});

Deno.test("blobResponse() gives all 0 for a constant volume and for volumes too thin to evaluate", () => {
  const constant = new Uint8Array(N * N * N).fill(100);
  assert.equal(max(blobResponse(constant, SHAPE, { gain: 1000 })), 0);
  const thin = new Uint8Array(2 * N * N);
  thin[at(1, C, C)] = 255;
  assert.deepEqual(blobResponse(thin, [2, N, N]), new Uint8Array(2 * N * N));
  assert.deepEqual(
    blobResponse(new Uint8Array(0), [0, 0, 0]),
    new Uint8Array(0),
  );
});

Deno.test("blobResponse() scales its output with the gain until it saturates at 255", () => {
  const image = ballAt(C, C, C);
  const at16 = blobResponse(image, SHAPE, { gain: 16 });
  const at8 = blobResponse(image, SHAPE, { gain: 8 });
  const at1000 = blobResponse(image, SHAPE, { gain: 1000 });
  for (let i = 0; i < at16.length; i++) {
    // round(16·√v) and 2·round(8·√v) differ by at most 1.5, so by 1.
    assert.ok(Math.abs(at16[i] - 2 * at8[i]) <= 1, `voxel ${i}`);
    assert.ok(at1000[i] >= at16[i], `voxel ${i}`);
    // A level of 5 at gain 16 means √v ≥ 4.5 / 16, over 255 at gain 1000.
    if (at16[i] >= 5) assert.equal(at1000[i], 255, `voxel ${i}`);
  }
  assert.equal(at1000[at(C, C, C)], 255);
  assert.ok(at16[at(C, C, C)] < 255);
});

Deno.test("blobResponse() rejects a wrong length, bad scales and a bad gain", () => {
  const image = new Uint8Array(27);
  assert.throws(() => blobResponse(new Uint8Array(26), [3, 3, 3]), (error) => {
    assert.ok(error instanceof ShapeError);
    assert.equal(
      error.message,
      "Cannot use blob filter input: shape is [26], expected [3, 3, 3]",
    );
    return true;
  });
  assert.throws(() => blobResponse(image, [3, 3, 3], { sigmas: [] }), {
    name: "RangeError",
    message:
      "Cannot compute blob response: sigmas is [], expected at least one scale",
  });
  assert.throws(() => blobResponse(image, [3, 3, 3], { sigmas: [1, -1] }), {
    name: "RangeError",
    message:
      "Cannot compute blob response: sigma -1, expected a positive number",
  });
  assert.throws(() => blobResponse(image, [3, 3, 3], { sigmas: [0] }), {
    name: "RangeError",
    message:
      "Cannot compute blob response: sigma 0, expected a positive number",
  });
  assert.throws(() => blobResponse(image, [3, 3, 3], { sigmas: [NaN] }), {
    name: "RangeError",
    message:
      "Cannot compute blob response: sigma NaN, expected a positive number",
  });
  assert.throws(() => blobResponse(image, [3, 3, 3], { gain: 0 }), {
    name: "RangeError",
    message: "Cannot compute blob response: gain 0, expected a positive number",
  });
  assert.throws(() => blobResponse(image, [3, 3, 3], { gain: -2 }), {
    name: "RangeError",
    message:
      "Cannot compute blob response: gain -2, expected a positive number",
  });
  assert.throws(() => blobResponse(image, [3, 3.5, 3]), {
    name: "RangeError",
    message:
      "Cannot compute blob response: shape is [3, 3.5, 3], expected non-negative integers",
  });
});
