import assert from "node:assert/strict";
import {
  blobDistance,
  blobReach,
  type BlobShape,
  CLIP_INSIDE,
  createCanvas,
  paintBlob,
  paintEllipse,
  paintSegment,
  TubeSet,
} from "./raster.ts";

function canvas(n = 128, s = 0.5, sz = 1) {
  const c = createCanvas({
    nx: n,
    ny: n,
    sx: s,
    sy: s,
    sz,
    x0: -(n - 1) * s / 2,
    y0: -(n - 1) * s / 2,
  });
  return c;
}

/** Painted area (mm²) of a shape painted with 1 over 0. */
function area(c: ReturnType<typeof canvas>): number {
  let sum = 0;
  for (const v of c.hu) sum += v;
  return sum * c.sx * c.sy;
}

Deno.test("paintEllipse() covers the ellipse's area and blends its edge", () => {
  const c = canvas();
  paintEllipse(c, 1.3, -2.1, 20, 9, 0.4, 1);
  assert.ok(
    Math.abs(area(c) - Math.PI * 20 * 9) < 0.01 * Math.PI * 20 * 9,
    `area ${area(c)}`,
  );
  // Interior pixels are exactly the value; edge pixels lie in between.
  const centre = c.hu[64 * 128 + 64];
  assert.equal(centre, 1);
  assert.ok(c.hu.some((v) => v > 0.05 && v < 0.95));
  assert.ok(c.hu.every((v) => v >= 0 && v <= 1));
});

Deno.test("paintEllipse() cuts a flat back and honours the clip buffer", () => {
  const c = canvas();
  paintEllipse(c, 0, 0, 20, 20, 0, 1, 0, 0);
  // Half a disc: everything below y = 0 is cut.
  assert.ok(
    Math.abs(area(c) - Math.PI * 200) < 0.02 * Math.PI * 200,
    `area ${area(c)}`,
  );
  const d = canvas();
  d.clip.fill(0.25);
  paintEllipse(d, 0, 0, 10, 10, 0, 1, CLIP_INSIDE);
  assert.ok(Math.abs(area(d) - 0.25 * Math.PI * 100) < 0.01 * 25 * Math.PI);
});

Deno.test("paintSegment() covers a 2D capsule's area", () => {
  const c = canvas();
  paintSegment(c, -10, -5, 12, 6, 3, 1);
  const length = Math.hypot(22, 11);
  const expected = 2 * 3 * length + Math.PI * 9;
  assert.ok(
    Math.abs(area(c) - expected) < 0.02 * expected,
    `area ${area(c)} vs ${expected}`,
  );
});

Deno.test("TubeSet paints a tube's volume slice by slice and clears the mask under it", () => {
  const sz = 0.5;
  const tubes = new TubeSet(1);
  // Oblique tube, radius 3 mm, from z = -8 to z = 8.
  tubes.add(-6, -4, -8, 6, 5, 8, 3, 3, 1);
  tubes.add(0, 0, 0, 0, 0, 0.001, 0.1, 0.1, 1); // forces the capacity to grow
  const nz = 61;
  tubes.index(nz, -15, sz, 2);
  const c = canvas(96, 0.5, sz);
  let volume = 0;
  const mask = new Uint8Array(96 * 96);
  let cleared = 0;
  for (let k = 0; k < nz; k++) {
    c.z = -15 + k * sz;
    c.hu.fill(0);
    mask.fill(1);
    tubes.paint(c, k, mask);
    volume += area(c) * sz;
    cleared += mask.filter((m) => m === 0).length;
  }
  const length = Math.hypot(12, 9, 16);
  const expected = Math.PI * 9 * length + (4 / 3) * Math.PI * 27;
  assert.ok(
    Math.abs(volume - expected) < 0.03 * expected,
    `volume ${volume} vs ${expected}`,
  );
  assert.ok(Math.abs(cleared * 0.25 * sz - expected) < 0.05 * expected);
  assert.deepEqual(tubes.get(0), [-6, -4, -8, 6, 5, 8, 3, 3]);
  assert.equal(tubes.size, 2);
  assert.throws(
    () => new TubeSet().paint(c, 0),
    /Cannot paint tubes: the set is not indexed, expected index\(\) first/,
  );
});

Deno.test("TubeSet paints hollow tubes as one wall around one lumen", () => {
  const tubes = new TubeSet();
  // Two overlapping segments of one airway: wall 100, lumen -1000.
  tubes.add(0, 0, -10, 0, 0, 0, 6, 6, 100, 1.5, -1000);
  tubes.add(0, 0, 0, 8, 0, 10, 6, 6, 100, 1.5, -1000);
  tubes.index(1, 0, 1, 2);
  const c = canvas(64, 0.5, 1);
  c.z = 0;
  tubes.paint(c, 0);
  const at = (x: number, y: number) =>
    c.hu[Math.round((y - c.y0) / 0.5) * 64 + Math.round((x - c.x0) / 0.5)];
  // The junction's lumen stays air: the second segment's wall does not cross it.
  assert.ok(at(0, 0) < -950, `junction lumen ${at(0, 0)}`);
  assert.ok(at(5.5, 0) > 50 || at(-5.5, 0) > 50, "no wall at the rim");
});

Deno.test("paintBlob() fills a sphere's volume and blobDistance() matches its surface", () => {
  const blob: BlobShape = {
    x: 0.3,
    y: -0.2,
    z: 0.1,
    r: 5,
    hu: 1,
    lobes: new Float64Array(0),
    marginMm: 0,
  };
  const sz = 0.5;
  const c = canvas(64, 0.5, sz);
  let volume = 0;
  for (let z = -8; z <= 8; z += sz) {
    c.z = z;
    c.hu.fill(0);
    paintBlob(c, blob);
    volume += area(c) * sz;
  }
  const expected = (4 / 3) * Math.PI * 125;
  assert.ok(Math.abs(volume - expected) < 0.03 * expected, `volume ${volume}`);
  assert.ok(Math.abs(blobDistance(blob, 5.3, -0.2, 0.1)) < 1e-12);
  assert.equal(blobReach(blob), 5);
  const lobed: BlobShape = {
    ...blob,
    lobes: Float64Array.from([1, 0, 0, 0.1, 0, 1, 0, -0.05]),
  };
  // Along +x the first lobe (P2(1) = 1) adds 10 %, the second (P3(0) = 0) nothing.
  assert.ok(Math.abs(blobDistance(lobed, 0.3 + 5.5, -0.2, 0.1)) < 1e-12);
  assert.ok(Math.abs(blobReach(lobed) - 5 * 1.15) < 1e-12);
});
