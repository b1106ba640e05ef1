/**
 * 2D convex hull images of pixel sets, as skimage's `convex_hull_image`
 * defines them: the hull of every pixel's four edge midpoints
 * (`offset_coordinates=True`), and every pixel whose centre lies inside or on
 * the hull (`include_borders=True`).
 *
 * @module
 */

const EPS = 1e-9;

/**
 * Collects the pixels of one 2D set row by row (as runs) and paints or counts
 * its convex hull image. Reusable: call {@linkcode HullBuilder.reset} between
 * sets.
 *
 * @example
 * ```ts
 * import { HullBuilder } from "./hull.ts";
 * const hull = new HullBuilder();
 * hull.addRun(0, 0, 3); // row 0, columns 0–2
 * hull.addRun(2, 0, 3); // row 2, columns 0–2
 * hull.count(); // 9: row 1 is inside the hull
 * ```
 */
export class HullBuilder {
  #rowMin = new Map<number, number>();
  #rowMax = new Map<number, number>();
  #hx: number[] = [];
  #hy: number[] = [];
  #dirty = true;

  /** Forgets every pixel added. */
  reset(): void {
    this.#rowMin.clear();
    this.#rowMax.clear();
    this.#dirty = true;
  }

  /** True when no pixel was added since the last reset. */
  get empty(): boolean {
    return this.#rowMin.size === 0;
  }

  /**
   * Adds the pixels `x0 … x1 − 1` of row `y`.
   *
   * @param y row
   * @param x0 first column
   * @param x1 one past the last column
   */
  addRun(y: number, x0: number, x1: number): void {
    if (x1 <= x0) return;
    const lo = this.#rowMin.get(y);
    if (lo === undefined || x0 < lo) this.#rowMin.set(y, x0);
    const hi = this.#rowMax.get(y);
    if (hi === undefined || x1 - 1 > hi) this.#rowMax.set(y, x1 - 1);
    this.#dirty = true;
  }

  /** Number of pixels of the hull image. */
  count(): number {
    let total = 0;
    this.#scan((_, x0, x1) => {
      total += x1 - x0;
    });
    return total;
  }

  /**
   * Writes `value` into every hull pixel of a plane of `ny × nx` pixels
   * starting at `offset` in `out` (pixels outside the plane are skipped).
   *
   * @returns the number of pixels written
   */
  paint(
    out: { [i: number]: number },
    offset: number,
    ny: number,
    nx: number,
    value = 1,
  ): number {
    let total = 0;
    this.#scan((y, x0, x1) => {
      if (y < 0 || y >= ny) return;
      const a = Math.max(0, x0), b = Math.min(nx, x1);
      const base = offset + y * nx;
      for (let x = a; x < b; x++) out[base + x] = value;
      total += Math.max(0, b - a);
    });
    return total;
  }

  // Calls fn(y, x0, x1) with the hull's pixel span of every row it covers.
  #scan(fn: (y: number, x0: number, x1: number) => void): void {
    if (this.#rowMin.size === 0) return;
    this.#build();
    const hx = this.#hx, hy = this.#hy, m = hx.length;
    let ymin = Infinity, ymax = -Infinity;
    for (let i = 0; i < m; i++) {
      if (hy[i] < ymin) ymin = hy[i];
      if (hy[i] > ymax) ymax = hy[i];
    }
    for (let y = Math.ceil(ymin - EPS); y <= Math.floor(ymax + EPS); y++) {
      let lo = Infinity, hi = -Infinity;
      for (let i = 0; i < m; i++) {
        const j = i + 1 === m ? 0 : i + 1;
        const ya = hy[i], yb = hy[j];
        const top = Math.min(ya, yb), bottom = Math.max(ya, yb);
        if (y < top - EPS || y > bottom + EPS) continue;
        if (Math.abs(yb - ya) < EPS) {
          lo = Math.min(lo, hx[i], hx[j]);
          hi = Math.max(hi, hx[i], hx[j]);
        } else {
          const t = Math.min(1, Math.max(0, (y - ya) / (yb - ya)));
          const x = hx[i] + t * (hx[j] - hx[i]);
          if (x < lo) lo = x;
          if (x > hi) hi = x;
        }
      }
      if (lo > hi) continue;
      const x0 = Math.ceil(lo - EPS), x1 = Math.floor(hi + EPS) + 1;
      if (x1 > x0) fn(y, x0, x1);
    }
  }

  // Andrew's monotone chain over the edge midpoints of each row's extreme pixels.
  #build(): void {
    if (!this.#dirty) return;
    const px: number[] = [], py: number[] = [];
    const push = (y: number, x: number) => {
      px.push(x);
      py.push(y);
    };
    for (const [y, lo] of this.#rowMin) {
      const hi = this.#rowMax.get(y)!;
      push(y, lo - 0.5);
      push(y - 0.5, lo);
      push(y + 0.5, lo);
      push(y, hi + 0.5);
      push(y - 0.5, hi);
      push(y + 0.5, hi);
    }
    const order = px.map((_, i) => i).sort((a, b) =>
      px[a] - px[b] || py[a] - py[b]
    );
    const cross = (o: number, a: number, b: number) =>
      (px[a] - px[o]) * (py[b] - py[o]) - (py[a] - py[o]) * (px[b] - px[o]);
    const lower: number[] = [];
    for (const i of order) {
      while (
        lower.length >= 2 &&
        cross(lower[lower.length - 2], lower[lower.length - 1], i) <= 0
      ) lower.pop();
      lower.push(i);
    }
    const upper: number[] = [];
    for (let k = order.length - 1; k >= 0; k--) {
      const i = order[k];
      while (
        upper.length >= 2 &&
        cross(upper[upper.length - 2], upper[upper.length - 1], i) <= 0
      ) upper.pop();
      upper.push(i);
    }
    lower.pop();
    upper.pop();
    const hull = lower.concat(upper);
    this.#hx = hull.map((i) => px[i]);
    this.#hy = hull.map((i) => py[i]);
    this.#dirty = false;
  }
}
