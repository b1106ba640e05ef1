import assert from "node:assert/strict";
import { createRng } from "../random.ts";
import { HullBuilder } from "./hull.ts";

// Reference: the hull of the offset points by gift wrapping, and a pixel is
// inside when it lies on the inner side of (or on) every hull edge.
function giftWrap(points: [number, number][]): [number, number][] {
  const pts = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const hull: [number, number][] = [];
  let p = pts[0];
  for (;;) {
    hull.push(p);
    let q = pts[0] === p ? pts[1] : pts[0];
    for (const r of pts) {
      const c = (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]);
      const far = (r[0] - p[0]) ** 2 + (r[1] - p[1]) ** 2 >
        (q[0] - p[0]) ** 2 + (q[1] - p[1]) ** 2;
      if (c < 0 || (c === 0 && far)) q = r;
    }
    p = q;
    if (p === hull[0] || hull.length > pts.length) break;
  }
  return hull;
}

function insideConvex(hull: [number, number][], x: number, y: number) {
  let sign = 0;
  for (let i = 0; i < hull.length; i++) {
    const a = hull[i], b = hull[(i + 1) % hull.length];
    const c = (b[0] - a[0]) * (y - a[1]) - (b[1] - a[1]) * (x - a[0]);
    if (Math.abs(c) < 1e-9) continue;
    const s = Math.sign(c);
    if (sign === 0) sign = s;
    else if (s !== sign) return false;
  }
  return true;
}

Deno.test("HullBuilder paints the convex hull image of random pixel sets", () => {
  const rng = createRng(11);
  for (let trial = 0; trial < 30; trial++) {
    const ny = 12, nx = 14;
    const pixels: [number, number][] = [];
    const hull = new HullBuilder();
    const n = 1 + rng.int(6);
    for (let k = 0; k < n; k++) {
      const y = rng.int(ny), x0 = rng.int(nx), len = 1 + rng.int(3);
      hull.addRun(y, x0, Math.min(nx, x0 + len));
      for (let x = x0; x < Math.min(nx, x0 + len); x++) pixels.push([x, y]);
    }
    const points: [number, number][] = [];
    for (const [x, y] of pixels) {
      points.push([x - 0.5, y], [x + 0.5, y], [x, y - 0.5], [x, y + 0.5]);
    }
    const ref = giftWrap(points);
    const out = new Uint8Array(ny * nx);
    const painted = hull.paint(out, 0, ny, nx);
    let expected = 0;
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        const inside = insideConvex(ref, x, y) ? 1 : 0;
        expected += inside;
        assert.equal(out[y * nx + x], inside, `trial ${trial} pixel ${x},${y}`);
      }
    }
    assert.equal(painted, expected);
    assert.equal(hull.count(), expected);
  }
});

Deno.test("HullBuilder keeps a single pixel and fills an L shape's corner", () => {
  const hull = new HullBuilder();
  hull.addRun(2, 3, 4);
  assert.equal(hull.count(), 1);
  hull.reset();
  assert.ok(hull.empty);
  // L: column x=0 rows 0-3, row 3 columns 0-3 -> hull is the lower triangle.
  for (let y = 0; y < 3; y++) hull.addRun(y, 0, 1);
  hull.addRun(3, 0, 4);
  const out = new Uint8Array(16);
  hull.paint(out, 0, 4, 4);
  assert.deepEqual([...out], [
    1,
    0,
    0,
    0,
    1,
    1,
    0,
    0,
    1,
    1,
    1,
    0,
    1,
    1,
    1,
    1,
  ]);
});
