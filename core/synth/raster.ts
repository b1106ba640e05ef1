/**
 * Slice-by-slice rasterisation with partial-volume blending for the
 * synthetic-scan generator.
 *
 * A {@linkcode Canvas} holds one axial slice in floating-point HU. Shapes are
 * painted in order; each blends its HU into the slice with a coverage
 * `alpha = clamp(0.5 − d / w, 0, 1)`, where `d` is the signed distance to its
 * boundary and `w` the voxel's width along the boundary normal (a box
 * filter's partial volume for a locally flat boundary). Each shape visits
 * only the pixels of its bounding box, row spans where it can.
 *
 * @module
 */

import { clamp, ellipseSd, ramp } from "./_math.ts";

/** One axial slice being painted, with its geometry. */
export interface Canvas {
  /** Pixels per row. */
  readonly nx: number;
  /** Rows. */
  readonly ny: number;
  /** Pixel spacing along x, y and the slice spacing (mm). */
  readonly sx: number;
  /** Pixel spacing along y (mm). */
  readonly sy: number;
  /** Slice spacing (mm). */
  readonly sz: number;
  /** World x of pixel column 0 (mm). */
  readonly x0: number;
  /** World y of pixel row 0 (mm). */
  readonly y0: number;
  /** World z of the slice (mm); updated per slice. */
  z: number;
  /** The slice in HU, row-major (x fastest). */
  readonly hu: Float32Array;
  /** A per-pixel weight (0–1) that painters may multiply their coverage by. */
  readonly clip: Float32Array;
}

/**
 * How a painter uses {@linkcode Canvas.clip}: 0 ignores it, 1 multiplies
 * coverage by `clip`, 2 by `1 − clip`.
 */
export type ClipMode = 0 | 1 | 2;
/** Ignore the clip buffer. */
export const CLIP_NONE: ClipMode = 0;
/** Multiply coverage by the clip buffer. */
export const CLIP_INSIDE: ClipMode = 1;
/** Multiply coverage by one minus the clip buffer. */
export const CLIP_OUTSIDE: ClipMode = 2;

/** Creates a canvas for slices of `nx × ny` pixels. */
export function createCanvas(geometry: {
  nx: number;
  ny: number;
  sx: number;
  sy: number;
  sz: number;
  x0: number;
  y0: number;
}): Canvas {
  const n = geometry.nx * geometry.ny;
  return {
    ...geometry,
    z: 0,
    hu: new Float32Array(n),
    clip: new Float32Array(n),
  };
}

const span = new Float64Array(2);

/**
 * x-range (mm offsets from the centre) where row offset `dy` crosses the
 * ellipse with half-axes (a, b) rotated by (cos, sin); false when the row
 * misses it. The result is written to the module's `span` scratch array.
 */
function ellipseRow(
  dy: number,
  a: number,
  b: number,
  c: number,
  s: number,
): boolean {
  if (a <= 0 || b <= 0) return false;
  const ia = 1 / (a * a), ib = 1 / (b * b);
  const al = c * c * ia + s * s * ib;
  const be = 2 * dy * c * s * (ia - ib);
  const ga = dy * dy * (s * s * ia + c * c * ib) - 1;
  const disc = be * be - 4 * al * ga;
  if (disc < 0) return false;
  const r = Math.sqrt(disc);
  span[0] = (-be - r) / (2 * al);
  span[1] = (-be + r) / (2 * al);
  return true;
}

/**
 * Where a row crosses an ellipse: the x-range (offsets from the centre, mm)
 * at row offset `dy` of the ellipse with half-axes (a, b) rotated by the
 * angle with cosine `cos` and sine `sin`.
 *
 * @param dy row offset from the centre (mm)
 * @param a half-axis along the rotated x axis (mm)
 * @param b half-axis along the rotated y axis (mm)
 * @param cos cosine of the rotation
 * @param sin sine of the rotation
 * @param out receives [x from, x to]
 * @returns false when the row misses the ellipse
 * @example
 * ```ts
 * import { ellipseRowSpan } from "./raster.ts";
 * const out = new Float64Array(2);
 * ellipseRowSpan(0, 5, 3, 1, 0, out); // true; out = [-5, 5]
 * ```
 */
export function ellipseRowSpan(
  dy: number,
  a: number,
  b: number,
  cos: number,
  sin: number,
  out: Float64Array,
): boolean {
  if (!ellipseRow(dy, a, b, cos, sin)) return false;
  out[0] = span[0];
  out[1] = span[1];
  return true;
}

/**
 * Paints an ellipse (world centre, half-axes, rotation) with `hu`.
 *
 * @param canvas the slice
 * @param cx world x of the centre (mm)
 * @param cy world y of the centre (mm)
 * @param a half-axis along the rotated x axis (mm)
 * @param b half-axis along the rotated y axis (mm)
 * @param angle rotation from +x towards +y (radians)
 * @param hu value painted inside
 * @param clipMode how the canvas clip buffer weights the coverage
 * @param backLimitY optional world y beyond which the shape is cut (a flat back), `Infinity` for none
 */
export function paintEllipse(
  canvas: Canvas,
  cx: number,
  cy: number,
  a: number,
  b: number,
  angle: number,
  hu: number,
  clipMode: ClipMode = CLIP_NONE,
  backLimitY = Infinity,
): void {
  if (!(a > 0 && b > 0)) return;
  const { nx, ny, sx, sy, x0, y0, hu: buf, clip } = canvas;
  const c = Math.cos(angle), s = Math.sin(angle);
  const invW = 1 / Math.min(sx, sy);
  const m = 1.5 * Math.max(sx, sy);
  const reach = Math.max(a, b) + m;
  const yLo = Math.max(0, Math.floor((cy - reach - y0) / sy));
  const yHi = Math.min(
    ny - 1,
    Math.ceil((Math.min(cy + reach, backLimitY + m) - y0) / sy),
  );
  for (let iy = yLo; iy <= yHi; iy++) {
    const y = y0 + iy * sy;
    const dy = y - cy;
    if (!ellipseRow(dy, a + m, b + m, c, s)) continue;
    let ixLo = Math.ceil((cx + span[0] - x0) / sx);
    let ixHi = Math.floor((cx + span[1] - x0) / sx);
    if (ixLo < 0) ixLo = 0;
    if (ixHi > nx - 1) ixHi = nx - 1;
    if (ixLo > ixHi) continue;
    // Row-wide cut by the flat back.
    const backA = ramp((y - backLimitY) * invW);
    if (backA <= 0) continue;
    let inLo = ixHi + 1, inHi = ixHi;
    if (backA >= 1 && ellipseRow(dy, a - m, b - m, c, s)) {
      inLo = Math.max(ixLo, Math.ceil((cx + span[0] - x0) / sx));
      inHi = Math.min(ixHi, Math.floor((cx + span[1] - x0) / sx));
      if (inLo > inHi) {
        inLo = ixHi + 1;
        inHi = ixHi;
      }
    }
    const row = iy * nx;
    // Edges: partial coverage from the signed distance.
    for (let ix = ixLo; ix <= ixHi; ix++) {
      if (ix === inLo) {
        ix = inHi;
        continue;
      }
      const dx = x0 + ix * sx - cx;
      const ru = dx * c + dy * s, rv = -dx * s + dy * c;
      let alpha = ramp(ellipseSd(ru, rv, a, b) * invW) * backA;
      if (alpha <= 0) continue;
      const i = row + ix;
      if (clipMode === CLIP_INSIDE) alpha *= clip[i];
      else if (clipMode === CLIP_OUTSIDE) alpha *= 1 - clip[i];
      buf[i] += (hu - buf[i]) * alpha;
    }
    // Interior: full coverage.
    if (inLo <= inHi) {
      if (clipMode === CLIP_NONE) {
        buf.fill(hu, row + inLo, row + inHi + 1);
      } else if (clipMode === CLIP_INSIDE) {
        for (let i = row + inLo; i <= row + inHi; i++) {
          buf[i] += (hu - buf[i]) * clip[i];
        }
      } else {
        for (let i = row + inLo; i <= row + inHi; i++) {
          buf[i] += (hu - buf[i]) * (1 - clip[i]);
        }
      }
    }
  }
}

/**
 * Paints a 2D capsule (segment from (xa, ya) to (xb, yb) with radius r) in
 * the slice plane.
 */
export function paintSegment(
  canvas: Canvas,
  xa: number,
  ya: number,
  xb: number,
  yb: number,
  r: number,
  hu: number,
  clipMode: ClipMode = CLIP_NONE,
): void {
  if (!(r > 0)) return;
  const { nx, ny, sx, sy, x0, y0, hu: buf, clip } = canvas;
  const invW = 1 / Math.min(sx, sy);
  const m = r + 1.5 * Math.max(sx, sy);
  const ixLo = Math.max(0, Math.floor((Math.min(xa, xb) - m - x0) / sx));
  const ixHi = Math.min(nx - 1, Math.ceil((Math.max(xa, xb) + m - x0) / sx));
  const iyLo = Math.max(0, Math.floor((Math.min(ya, yb) - m - y0) / sy));
  const iyHi = Math.min(ny - 1, Math.ceil((Math.max(ya, yb) + m - y0) / sy));
  const dxs = xb - xa, dys = yb - ya;
  const len2 = dxs * dxs + dys * dys;
  const inv = len2 > 0 ? 1 / len2 : 0;
  for (let iy = iyLo; iy <= iyHi; iy++) {
    const py = y0 + iy * sy - ya;
    const row = iy * nx;
    for (let ix = ixLo; ix <= ixHi; ix++) {
      const px = x0 + ix * sx - xa;
      let t = (px * dxs + py * dys) * inv;
      t = t < 0 ? 0 : t > 1 ? 1 : t;
      const ex = px - t * dxs, ey = py - t * dys;
      let alpha = ramp((Math.sqrt(ex * ex + ey * ey) - r) * invW);
      if (alpha <= 0) continue;
      const i = row + ix;
      if (clipMode === CLIP_INSIDE) alpha *= clip[i];
      else if (clipMode === CLIP_OUTSIDE) alpha *= 1 - clip[i];
      buf[i] += (hu - buf[i]) * alpha;
    }
  }
}

/**
 * A set of 3D capsules (tubes with linearly tapering radius) painted slice
 * by slice: vessels, airways, ribs, the aorta. Tubes with a wall are painted
 * in two passes over the whole set (wall, then lumen), so a chain of
 * overlapping capsules reads as one hollow tube.
 */
export class TubeSet {
  #n = 0;
  #cap: number;
  #p: Float64Array; // 6 per tube: x0 y0 z0 x1 y1 z1
  #r: Float32Array; // 2 per tube: r0 r1
  #hu: Float32Array; // 2 per tube: wall/outer HU, lumen HU
  #wall: Float32Array; // wall thickness (0 = solid)
  #slices: Int32Array | null = null;
  #offsets: Int32Array | null = null;

  /** Creates an empty set. */
  constructor(capacity = 64) {
    this.#cap = capacity;
    this.#p = new Float64Array(capacity * 6);
    this.#r = new Float32Array(capacity * 2);
    this.#hu = new Float32Array(capacity * 2);
    this.#wall = new Float32Array(capacity);
  }

  /** Number of tubes. */
  get size(): number {
    return this.#n;
  }

  /**
   * Adds a tube from (xa, ya, za) to (xb, yb, zb), radius ra → rb (mm).
   * `wallMm > 0` makes it hollow: the outer `wallMm` has `hu`, the lumen
   * `lumenHu`.
   */
  add(
    xa: number,
    ya: number,
    za: number,
    xb: number,
    yb: number,
    zb: number,
    ra: number,
    rb: number,
    hu: number,
    wallMm = 0,
    lumenHu = hu,
  ): void {
    if (this.#n === this.#cap) this.#grow();
    const i = this.#n++;
    this.#p.set([xa, ya, za, xb, yb, zb], i * 6);
    this.#r[i * 2] = ra;
    this.#r[i * 2 + 1] = rb;
    this.#hu[i * 2] = hu;
    this.#hu[i * 2 + 1] = lumenHu;
    this.#wall[i] = wallMm;
    this.#slices = null;
  }

  /** Tube `i` as [x0, y0, z0, x1, y1, z1, r0, r1]. */
  get(i: number): number[] {
    const p = this.#p, r = this.#r;
    return [
      p[i * 6],
      p[i * 6 + 1],
      p[i * 6 + 2],
      p[i * 6 + 3],
      p[i * 6 + 4],
      p[i * 6 + 5],
      r[i * 2],
      r[i * 2 + 1],
    ];
  }

  #grow(): void {
    this.#cap *= 2;
    const p = new Float64Array(this.#cap * 6);
    p.set(this.#p);
    this.#p = p;
    const r = new Float32Array(this.#cap * 2);
    r.set(this.#r);
    this.#r = r;
    const hu = new Float32Array(this.#cap * 2);
    hu.set(this.#hu);
    this.#hu = hu;
    const w = new Float32Array(this.#cap);
    w.set(this.#wall);
    this.#wall = w;
  }

  /**
   * Indexes the tubes by slice for a grid of `nz` slices at world z
   * `z0 + k·sz`, with a margin for partial volume.
   */
  index(nz: number, z0: number, sz: number, marginMm: number): void {
    const n = this.#n, p = this.#p, r = this.#r;
    const lo = new Int32Array(n), hi = new Int32Array(n);
    const counts = new Int32Array(nz + 1);
    for (let i = 0; i < n; i++) {
      const rMax = Math.max(r[i * 2], r[i * 2 + 1]) + marginMm;
      const za = p[i * 6 + 2], zb = p[i * 6 + 5];
      lo[i] = Math.max(0, Math.ceil((Math.min(za, zb) - rMax - z0) / sz));
      hi[i] = Math.min(nz - 1, Math.floor((Math.max(za, zb) + rMax - z0) / sz));
      for (let k = lo[i]; k <= hi[i]; k++) counts[k + 1]++;
    }
    for (let k = 0; k < nz; k++) counts[k + 1] += counts[k];
    const slices = new Int32Array(counts[nz]);
    const fill = counts.slice(0, nz);
    for (let i = 0; i < n; i++) {
      for (let k = lo[i]; k <= hi[i]; k++) slices[fill[k]++] = i;
    }
    this.#slices = slices;
    this.#offsets = counts;
  }

  /**
   * Paints the tubes that reach slice `k` (after {@linkcode TubeSet.index}).
   *
   * @param canvas the slice, with `z` set
   * @param k slice index in the indexed grid
   * @param mask when given, the pixels that the tubes cover (outer alpha ≥ 0.5) are set to 0 in it
   */
  paint(canvas: Canvas, k: number, mask?: Uint8Array): void {
    const slices = this.#slices, offsets = this.#offsets;
    if (!slices || !offsets) {
      throw new RangeError(
        "Cannot paint tubes: the set is not indexed, expected index() first",
      );
    }
    const from = offsets[k], to = offsets[k + 1];
    if (from === to) return;
    for (let j = from; j < to; j++) {
      this.#paintOne(canvas, slices[j], false, mask);
    }
    for (let j = from; j < to; j++) {
      const i = slices[j];
      if (this.#wall[i] > 0) this.#paintOne(canvas, i, true);
    }
  }

  #paintOne(
    canvas: Canvas,
    i: number,
    lumen: boolean,
    mask?: Uint8Array,
  ): void {
    const { nx, ny, sx, sy, sz, x0, y0, z, hu: buf } = canvas;
    const p = this.#p;
    const ax = p[i * 6], ay = p[i * 6 + 1], az = p[i * 6 + 2];
    const dx = p[i * 6 + 3] - ax,
      dy = p[i * 6 + 4] - ay,
      dz = p[i * 6 + 5] - az;
    const shrink = lumen ? this.#wall[i] : 0;
    const r0 = this.#r[i * 2] - shrink, r1 = this.#r[i * 2 + 1] - shrink;
    if (r0 <= 0 && r1 <= 0) return;
    const hu = this.#hu[i * 2 + (lumen ? 1 : 0)];
    const len2 = dx * dx + dy * dy + dz * dz;
    const inv = len2 > 0 ? 1 / len2 : 0;
    const rMax = Math.max(r0, r1);
    const m = 0.5 * Math.sqrt(sx * sx + sy * sy + sz * sz) + 0.01;
    const reach = rMax + m;
    // The part of the axis within `reach` of this slice bounds the pixels.
    const pz = z - az;
    let t0 = 0, t1 = 1;
    if (Math.abs(dz) > 1e-9) {
      const ta = (pz - reach) / dz, tb = (pz + reach) / dz;
      t0 = Math.max(0, Math.min(ta, tb));
      t1 = Math.min(1, Math.max(ta, tb));
      if (t0 > t1) return;
    } else if (Math.abs(pz) > reach) {
      return;
    }
    const xa = ax + dx * t0, xb = ax + dx * t1;
    const ya = ay + dy * t0, yb = ay + dy * t1;
    const ixLo = Math.max(0, Math.floor((Math.min(xa, xb) - reach - x0) / sx));
    const ixHi = Math.min(
      nx - 1,
      Math.ceil((Math.max(xa, xb) + reach - x0) / sx),
    );
    const iyLo = Math.max(0, Math.floor((Math.min(ya, yb) - reach - y0) / sy));
    const iyHi = Math.min(
      ny - 1,
      Math.ceil((Math.max(ya, yb) + reach - y0) / sy),
    );
    if (ixLo > ixHi || iyLo > iyHi) return;
    // Thin tubes cannot cover a whole voxel: cap the coverage at the tube's
    // cross-section over the voxel's cross-section perpendicular to the axis.
    const len = Math.sqrt(len2) || 1;
    const ux = Math.abs(dx / len),
      uy = Math.abs(dy / len),
      uz = Math.abs(dz / len);
    const areaPerp = sx * sy * uz + sx * sz * uy + sy * sz * ux;
    const rMean = Math.max(0, (r0 + r1) / 2);
    const cap = clamp((Math.PI * rMean * rMean) / areaPerp, 0, 1);
    const dr = r1 - r0;
    const pzdz = pz * dz;
    for (let iy = iyLo; iy <= iyHi; iy++) {
      const py = y0 + iy * sy - ay;
      const pydy = py * dy;
      const row = iy * nx;
      for (let ix = ixLo; ix <= ixHi; ix++) {
        const px = x0 + ix * sx - ax;
        let t = (px * dx + pydy + pzdz) * inv;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        const ex = px - t * dx, ey = py - t * dy, ez = pz - t * dz;
        const dist = Math.sqrt(ex * ex + ey * ey + ez * ez);
        const d = dist - (r0 + t * dr);
        if (d >= m) continue;
        const w = dist > 1e-6
          ? (Math.abs(ex) * sx + Math.abs(ey) * sy + Math.abs(ez) * sz) / dist
          : sx;
        let alpha = 0.5 - d / w;
        if (alpha <= 0) continue;
        if (alpha > cap) alpha = cap;
        const idx = row + ix;
        buf[idx] += (hu - buf[idx]) * alpha;
        if (mask && alpha >= 0.5) mask[idx] = 0;
      }
    }
  }
}

/** A nodule: a lobulated sphere with a sharp or diffuse margin. */
export interface BlobShape {
  /** World centre (mm). */
  readonly x: number;
  /** World centre y (mm). */
  readonly y: number;
  /** World centre z (mm). */
  readonly z: number;
  /** Mean radius (mm). */
  readonly r: number;
  /** HU inside. */
  readonly hu: number;
  /**
   * Lobulation: 4 numbers per lobe (unit axis x, y, z and amplitude); the
   * radius along direction n is `r·(1 + Σ amp·P(n·axis))` with P the
   * Legendre polynomial of degree 2 for even lobe index and 3 for odd.
   */
  readonly lobes: Float64Array;
  /** Minimum width (mm) of the margin ramp: 0 for sharp, larger for ground glass. */
  readonly marginMm: number;
}

/** Largest radius a blob reaches along any direction (mm). */
export function blobReach(blob: BlobShape): number {
  let amp = 0;
  for (let k = 3; k < blob.lobes.length; k += 4) amp += Math.abs(blob.lobes[k]);
  return blob.r * (1 + amp);
}

/**
 * Signed distance (mm, radial approximation) from a world point to a blob's
 * surface; negative inside.
 */
export function blobDistance(
  blob: BlobShape,
  x: number,
  y: number,
  z: number,
): number {
  const ex = x - blob.x, ey = y - blob.y, ez = z - blob.z;
  const dist = Math.sqrt(ex * ex + ey * ey + ez * ez);
  return dist - blobRadius(blob, ex, ey, ez, dist);
}

function blobRadius(
  blob: BlobShape,
  ex: number,
  ey: number,
  ez: number,
  dist: number,
): number {
  if (dist < 1e-9) return blob.r;
  const lobes = blob.lobes;
  let f = 1;
  for (let k = 0, j = 0; k < lobes.length; k += 4, j++) {
    const t = (ex * lobes[k] + ey * lobes[k + 1] + ez * lobes[k + 2]) / dist;
    const legendre = (j & 1) === 0
      ? 1.5 * t * t - 0.5
      : (2.5 * t * t - 1.5) * t;
    f += lobes[k + 3] * legendre;
  }
  return blob.r * f;
}

/** Paints a blob into the slice at `canvas.z`. */
export function paintBlob(canvas: Canvas, blob: BlobShape): void {
  const { nx, ny, sx, sy, sz, x0, y0, z, hu: buf } = canvas;
  const m = 0.5 * Math.sqrt(sx * sx + sy * sy + sz * sz) + blob.marginMm;
  const reach = blobReach(blob) + m;
  const ez = z - blob.z;
  if (Math.abs(ez) > reach) return;
  const half = Math.sqrt(reach * reach - ez * ez);
  const ixLo = Math.max(0, Math.floor((blob.x - half - x0) / sx));
  const ixHi = Math.min(nx - 1, Math.ceil((blob.x + half - x0) / sx));
  const iyLo = Math.max(0, Math.floor((blob.y - half - y0) / sy));
  const iyHi = Math.min(ny - 1, Math.ceil((blob.y + half - y0) / sy));
  const cap = clamp(
    (4 / 3 * Math.PI * blob.r ** 3) / (sx * sy * sz),
    0,
    1,
  );
  const hu = blob.hu;
  for (let iy = iyLo; iy <= iyHi; iy++) {
    const ey = y0 + iy * sy - blob.y;
    const row = iy * nx;
    for (let ix = ixLo; ix <= ixHi; ix++) {
      const ex = x0 + ix * sx - blob.x;
      const dist = Math.sqrt(ex * ex + ey * ey + ez * ez);
      const d = dist - blobRadius(blob, ex, ey, ez, dist);
      if (d >= m) continue;
      let w = dist > 1e-6
        ? (Math.abs(ex) * sx + Math.abs(ey) * sy + Math.abs(ez) * sz) / dist
        : sx;
      if (w < blob.marginMm) w = blob.marginMm;
      let alpha = 0.5 - d / w;
      if (alpha <= 0) continue;
      if (alpha > cap) alpha = cap;
      const i = row + ix;
      buf[i] += (hu - buf[i]) * alpha;
    }
  }
}
