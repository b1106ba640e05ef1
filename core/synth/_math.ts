/**
 * Small numeric helpers shared by the synthetic-scan generator (private to
 * `core/synth/`).
 *
 * @module
 */

/** Hermite smoothstep: 0 below `e0`, 1 above `e1`, smooth in between. */
export function smoothstep(e0: number, e1: number, x: number): number {
  if (x <= e0) return 0;
  if (x >= e1) return 1;
  const t = (x - e0) / (e1 - e0);
  return t * t * (3 - 2 * t);
}

/** Linear interpolation. */
export function lerp(a: number, b: number, t: number): number {
  return a + (b - a) * t;
}

/** Clamps `x` into [lo, hi]. */
export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/**
 * Partial-volume coverage from a signed distance measured in voxel widths
 * (negative inside): a linear ramp over one voxel, 1 deep inside, 0 outside.
 */
export function ramp(distanceInVoxels: number): number {
  const a = 0.5 - distanceInVoxels;
  return a <= 0 ? 0 : a >= 1 ? 1 : a;
}

/**
 * Approximate signed distance (mm) from a point to an axis-aligned ellipse
 * centred at the origin: (r − 1) / |∇r| with r the normalised radius. Exact
 * in sign, first-order accurate near the boundary.
 */
export function ellipseSd(x: number, y: number, a: number, b: number): number {
  const qa = x / a, qb = y / b;
  const q = qa * qa + qb * qb;
  const gx = x / (a * a), gy = y / (b * b);
  const g = Math.sqrt(gx * gx + gy * gy);
  if (g < 1e-12) return -(a < b ? a : b);
  return (q - Math.sqrt(q)) / g;
}

/**
 * Piecewise-linear function of one variable given by knots (x ascending);
 * constant beyond the first and last knot.
 */
export class Knots {
  readonly #x: Float64Array;
  readonly #y: Float64Array;

  /** Creates the function from `[x, y]` pairs sorted by x. */
  constructor(pairs: readonly (readonly [number, number])[]) {
    this.#x = Float64Array.from(pairs.map((p) => p[0]));
    this.#y = Float64Array.from(pairs.map((p) => p[1]));
    for (let i = 1; i < this.#x.length; i++) {
      if (!(this.#x[i] >= this.#x[i - 1])) {
        throw new RangeError(
          `Cannot build knots: x is not ascending at index ${i}, expected sorted knots`,
        );
      }
    }
  }

  /** Value at `x`. */
  at(x: number): number {
    const xs = this.#x, ys = this.#y, n = xs.length;
    if (x <= xs[0]) return ys[0];
    if (x >= xs[n - 1]) return ys[n - 1];
    let i = 1;
    while (xs[i] < x) i++;
    const span = xs[i] - xs[i - 1];
    return span > 0
      ? ys[i - 1] + (ys[i] - ys[i - 1]) * (x - xs[i - 1]) / span
      : ys[i];
  }
}
