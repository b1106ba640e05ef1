import assert from "node:assert/strict";
import { clamp, ellipseSd, Knots, lerp, ramp, smoothstep } from "./_math.ts";

Deno.test("smoothstep(), lerp(), clamp() and ramp() match their formulas", () => {
  assert.equal(smoothstep(0, 2, -1), 0);
  assert.equal(smoothstep(0, 2, 3), 1);
  assert.equal(smoothstep(0, 2, 1), 0.5);
  assert.ok(
    Math.abs(smoothstep(0, 4, 1) - (3 * 0.25 ** 2 - 2 * 0.25 ** 3)) < 1e-15,
  );
  assert.equal(lerp(2, 6, 0.25), 3);
  assert.equal(clamp(5, 0, 3), 3);
  assert.equal(clamp(-5, 0, 3), 0);
  // Coverage of a voxel whose centre is d voxels from the boundary.
  assert.equal(ramp(-1), 1);
  assert.equal(ramp(0), 0.5);
  assert.equal(ramp(0.25), 0.25);
  assert.equal(ramp(0.5), 0);
});

Deno.test("ellipseSd() has the right sign everywhere and the true distance near the boundary", () => {
  const a = 30, b = 12;
  for (let t = 0; t < 2 * Math.PI; t += 0.1) {
    const x = a * Math.cos(t), y = b * Math.sin(t);
    // Outward normal of the ellipse at the point.
    const nx = x / (a * a), ny = y / (b * b), n = Math.hypot(nx, ny);
    for (const d of [-0.5, -0.1, 0.1, 0.5]) {
      const got = ellipseSd(x + d * nx / n, y + d * ny / n, a, b);
      assert.ok(Math.abs(got - d) < 0.05, `t ${t.toFixed(1)}, d ${d}: ${got}`);
    }
  }
  assert.ok(ellipseSd(0, 0, a, b) < 0);
  assert.ok(ellipseSd(29, 0, a, b) < 0 && ellipseSd(31, 0, a, b) > 0);
  assert.ok(ellipseSd(0, 11.9, a, b) < 0 && ellipseSd(0, 12.1, a, b) > 0);
});

Deno.test("Knots interpolates linearly and holds its end values", () => {
  const k = new Knots([[0, 10], [10, 20], [10, 30], [20, 0]]);
  assert.equal(k.at(-5), 10);
  assert.equal(k.at(5), 15);
  assert.equal(k.at(15), 15);
  assert.equal(k.at(25), 0);
  assert.throws(
    () => new Knots([[1, 0], [0, 1]]),
    /Cannot build knots: x is not ascending at index 1, expected sorted knots/,
  );
});
