/**
 * Branching tube trees grown inside a lung: pulmonary arteries and veins,
 * and the intrapulmonary bronchi.
 *
 * Each segment is a tapering capsule. At a branch point the parent splits
 * in two with radii from Murray's law (r₁³ + r₂³ = r³) and branching angles
 * that minimise the work of flow for those radii (Murray 1926,
 * cos θ₁ = (1 + λ₁⁴ − λ₂⁴) / (2λ₁²)). Segments are kept inside the lung and
 * steered away from its boundary and outwards from the hilum, so the trees
 * fill the lung from the hilum to the periphery.
 *
 * @module
 */

import type { Rng } from "../random.ts";
import type { Anatomy } from "./anatomy.ts";
import type { TubeSet } from "./raster.ts";

/** A point where a tree branches, with the parent radius there (world mm). */
export interface BranchPoint {
  /** World x (mm). */
  readonly x: number;
  /** World y (mm). */
  readonly y: number;
  /** World z (mm). */
  readonly z: number;
  /** Radius of the parent segment at the branch point (mm). */
  readonly r: number;
}

/** How to grow one tree. */
export interface TreeSpec {
  /** Lung the tree lives in: 0 = right, 1 = left. */
  readonly side: 0 | 1;
  /**
   * Root segment, from `from` (may lie outside the lung, e.g. in the
   * mediastinum) towards `to` (a point at or just inside the hilum); the
   * root is extended along its direction until its end is inside the lung.
   */
  readonly from: readonly [number, number, number];
  /** Target end of the root segment (world mm). */
  readonly to: readonly [number, number, number];
  /** Radius at `from` and at the root's end (mm). */
  readonly rootRadius: readonly [number, number];
  /** Branches thinner than this end the tree (mm). */
  readonly minRadius: number;
  /** Segment length as a multiple of its radius, drawn in [lo, hi]. */
  readonly lengthFactor: readonly [number, number];
  /** Most segments in the tree. */
  readonly maxSegments: number;
  /** Largest branching generation (root = 0). */
  readonly maxGeneration: number;
  /**
   * First split at the end of the root (lobar branches): world directions
   * and the share of the flow each takes (radius ∝ share^⅓, Murray's law).
   * Without it the root splits in two like any other segment.
   */
  readonly branches?: readonly {
    readonly direction: readonly [number, number, number];
    readonly share: number;
  }[];
  /** HU of the tube (its wall for hollow tubes). */
  readonly hu: number;
  /** Wall thickness as a fraction of the radius (0 = solid). */
  readonly wallFraction?: number;
  /** Lumen HU of hollow tubes. */
  readonly lumenHu?: number;
  /**
   * Crowding shared with the lung's other trees; when given, thin branches
   * go where the lung is still empty and stop where it is full.
   */
  readonly occupancy?: Occupancy;
}

/**
 * How crowded each part of a lung is: segment counts on a coarse grid
 * shared by the trees of one lung, so that thin branches spread into empty
 * parenchyma instead of piling up (a simple space-filling rule).
 */
export class Occupancy {
  readonly #cell: number;
  readonly #origin: readonly [number, number, number];
  readonly #dims: readonly [number, number, number];
  readonly #counts: Uint16Array;

  /**
   * Creates an empty grid over a box.
   *
   * @param min world corner (x, y, z) of the box covered (mm)
   * @param max opposite corner (mm)
   * @param cellMm grid cell size (mm)
   */
  constructor(
    min: readonly [number, number, number],
    max: readonly [number, number, number],
    cellMm: number,
  ) {
    this.#cell = cellMm;
    this.#origin = min;
    const dim = (a: number) =>
      Math.max(1, Math.ceil((max[a] - min[a]) / cellMm));
    this.#dims = [dim(0), dim(1), dim(2)];
    this.#counts = new Uint16Array(
      this.#dims[0] * this.#dims[1] * this.#dims[2],
    );
  }

  #index(x: number, y: number, z: number): number {
    const i = Math.floor((x - this.#origin[0]) / this.#cell);
    const j = Math.floor((y - this.#origin[1]) / this.#cell);
    const k = Math.floor((z - this.#origin[2]) / this.#cell);
    const [nx, ny, nz] = this.#dims;
    if (i < 0 || j < 0 || k < 0 || i >= nx || j >= ny || k >= nz) return -1;
    return (k * ny + j) * nx + i;
  }

  /** Segments counted in the cell holding the point (0 outside the box). */
  count(x: number, y: number, z: number): number {
    const i = this.#index(x, y, z);
    return i < 0 ? 0 : this.#counts[i];
  }

  /** Counts a segment once in every cell it passes through. */
  add(
    ax: number,
    ay: number,
    az: number,
    bx: number,
    by: number,
    bz: number,
  ): void {
    const length = Math.hypot(bx - ax, by - ay, bz - az);
    const steps = Math.max(1, Math.ceil(length / (this.#cell / 2)));
    let last = -2;
    for (let s = 0; s <= steps; s++) {
      const t = s / steps;
      const i = this.#index(
        ax + (bx - ax) * t,
        ay + (by - ay) * t,
        az + (bz - az) * t,
      );
      if (i >= 0 && i !== last && this.#counts[i] < 65535) this.#counts[i]++;
      last = i;
    }
  }
}

/** Segments of radius below this fill space: they avoid crowded cells (mm). */
const FILLING_RADIUS_MM = 1.5;
/** Most thin segments per occupancy cell. */
const CELL_CAPACITY = 3;
/** Thin branches stay this far inside the pleura (mm): the subpleural zone is nearly vessel-free. */
const SUBPLEURAL_MM = 2.5;

interface Tip {
  x: number;
  y: number;
  z: number;
  dx: number;
  dy: number;
  dz: number;
  r: number;
  gen: number;
}

/**
 * Grows one tree into `tubes`.
 *
 * @param anatomy the patient model (for the lung boundary)
 * @param rng seeded generator
 * @param spec where and how to grow
 * @param tubes receives the segments
 * @returns the branch points (for findings placed on vessel bifurcations)
 */
export function growTree(
  anatomy: Anatomy,
  rng: Rng,
  spec: TreeSpec,
  tubes: TubeSet,
): BranchPoint[] {
  const side = spec.side;
  const inside = (x: number, y: number, z: number) =>
    anatomy.lungDistanceAt(side, x, y, z);
  const wallFraction = spec.wallFraction ?? 0;
  const lumenHu = spec.lumenHu ?? spec.hu;
  const addTube = (
    ax: number,
    ay: number,
    az: number,
    bx: number,
    by: number,
    bz: number,
    ra: number,
    rb: number,
  ) => {
    const wall = wallFraction > 0 ? Math.max(0.5, wallFraction * rb) : 0;
    tubes.add(ax, ay, az, bx, by, bz, ra, rb, spec.hu, wall, lumenHu);
  };
  // Root: extend until its end is well inside the lung.
  let [fx, fy, fz] = spec.from;
  let [tx, ty, tz] = spec.to;
  let rdx = tx - fx, rdy = ty - fy, rdz = tz - fz;
  const rootLen = Math.hypot(rdx, rdy, rdz) || 1;
  rdx /= rootLen;
  rdy /= rootLen;
  rdz /= rootLen;
  const rEnd = spec.rootRadius[1];
  let extended = 0;
  while (inside(tx, ty, tz) > -(rEnd * 0.5 + 1) && extended < 60) {
    tx += rdx * 2;
    ty += rdy * 2;
    tz += rdz * 2;
    extended += 2;
  }
  if (inside(tx, ty, tz) > -(rEnd * 0.5 + 1)) return [];
  addTube(fx, fy, fz, tx, ty, tz, spec.rootRadius[0], rEnd);
  const hilum = [tx, ty, tz] as const;
  fx = tx;
  fy = ty;
  fz = tz;
  const points: BranchPoint[] = [];
  const queue: Tip[] = [];
  if (spec.branches && spec.branches.length > 0) {
    const total = spec.branches.reduce((sum, b) => sum + b.share, 0);
    for (const { direction, share } of spec.branches) {
      let [bx, by, bz] = direction;
      bx += rng.normal() * 0.15;
      by += rng.normal() * 0.15;
      bz += rng.normal() * 0.15;
      const bn = Math.hypot(bx, by, bz) || 1;
      const rb = rEnd * Math.cbrt(share / total);
      if (rb >= spec.minRadius) {
        queue.push({
          x: fx,
          y: fy,
          z: fz,
          dx: bx / bn,
          dy: by / bn,
          dz: bz / bn,
          r: rb,
          gen: 1,
        });
      }
    }
  } else {
    pushChildren(queue, rng, fx, fy, fz, rdx, rdy, rdz, rEnd, 1, spec, hilum);
  }
  points.push({ x: fx, y: fy, z: fz, r: rEnd });
  let segments = 1;
  const occupancy = spec.occupancy;
  for (
    let head = 0;
    head < queue.length && segments < spec.maxSegments;
    head++
  ) {
    const tip = queue[head];
    const r = tip.r;
    const filling = occupancy !== undefined && r < FILLING_RADIUS_MM;
    const margin = r * 0.6 + 0.8 +
      (r < FILLING_RADIUS_MM ? SUBPLEURAL_MM : 0);
    // Thin branches are long for their calibre (a few mm at r = 0.5 mm).
    let length = r * rng.uniform(spec.lengthFactor[0], spec.lengthFactor[1]) +
      rng.uniform(2, 5);
    length = Math.min(length, 25);
    let accepted = false;
    let dx = tip.dx, dy = tip.dy, dz = tip.dz;
    let ex = 0, ey = 0, ez = 0;
    let cx = dx, cy = dy, cz = dz;
    for (let attempt = 0; attempt < 8 && !accepted; attempt++) {
      if (attempt > 0) {
        // Another try: a random bend, wider each time.
        const spread = 0.25 + 0.12 * attempt;
        cx = dx + spread * rng.normal();
        cy = dy + spread * rng.normal();
        cz = dz + spread * rng.normal();
        const n = Math.hypot(cx, cy, cz) || 1;
        cx /= n;
        cy /= n;
        cz /= n;
      }
      ex = tip.x + cx * length;
      ey = tip.y + cy * length;
      ez = tip.z + cz * length;
      if (inside(ex, ey, ez) >= -margin) {
        // Steer away from the boundary (numerical gradient at the end
        // point) and shorten.
        const g = 1.5;
        const gx = inside(ex + g, ey, ez) - inside(ex - g, ey, ez);
        const gy = inside(ex, ey + g, ez) - inside(ex, ey - g, ez);
        const gz = inside(ex, ey, ez + g) - inside(ex, ey, ez - g);
        const gn = Math.hypot(gx, gy, gz) || 1;
        dx = cx - 0.9 * gx / gn;
        dy = cy - 0.9 * gy / gn;
        dz = cz - 0.9 * gz / gn;
        const n = Math.hypot(dx, dy, dz) || 1;
        dx /= n;
        dy /= n;
        dz /= n;
        cx = dx;
        cy = dy;
        cz = dz;
        length *= 0.8;
        if (length < 1.5) break;
        continue;
      }
      const mx = (tip.x + ex) / 2, my = (tip.y + ey) / 2;
      const mz = (tip.z + ez) / 2;
      if (inside(mx, my, mz) >= -r * 0.3) continue;
      if (
        filling &&
        occupancy.count(ex, ey, ez) + (occupancy.count(mx, my, mz) >> 1) >=
          CELL_CAPACITY
      ) continue;
      accepted = true;
    }
    if (!accepted) continue;
    // Radius falls at branch points (Murray's law), barely along a segment.
    const rEndSeg = r * rng.uniform(0.98, 1);
    addTube(tip.x, tip.y, tip.z, ex, ey, ez, r, rEndSeg);
    occupancy?.add(tip.x, tip.y, tip.z, ex, ey, ez);
    segments++;
    points.push({ x: ex, y: ey, z: ez, r: rEndSeg });
    if (tip.gen < spec.maxGeneration) {
      pushChildren(
        queue,
        rng,
        ex,
        ey,
        ez,
        cx,
        cy,
        cz,
        rEndSeg,
        tip.gen + 1,
        spec,
        hilum,
      );
    }
  }
  return points;
}

function pushChildren(
  queue: Tip[],
  rng: Rng,
  x: number,
  y: number,
  z: number,
  dx: number,
  dy: number,
  dz: number,
  r: number,
  gen: number,
  spec: TreeSpec,
  hilum: readonly [number, number, number],
): void {
  // Murray's law: λ₁³ + λ₂³ = 1 with λ₂ = α·λ₁.
  // Mostly asymmetric (monopodial) splits: a trunk that barely narrows gives
  // off thinner side branches, as pulmonary vessels do.
  const alpha = 0.35 + 0.65 * rng.next() ** 2;
  const l1 = Math.cbrt(1 / (1 + alpha ** 3));
  const l2 = alpha * l1;
  const cos1 = Math.min(
    1,
    Math.max(-1, (1 + l1 ** 4 - l2 ** 4) / (2 * l1 * l1)),
  );
  const cos2 = Math.min(
    1,
    Math.max(-1, (1 + l2 ** 4 - l1 ** 4) / (2 * l2 * l2)),
  );
  const sin1 = Math.sqrt(1 - cos1 * cos1), sin2 = Math.sqrt(1 - cos2 * cos2);
  // A random unit vector perpendicular to the parent: the branching plane.
  let px = rng.normal(), py = rng.normal(), pz = rng.normal();
  const dot = px * dx + py * dy + pz * dz;
  px -= dot * dx;
  py -= dot * dy;
  pz -= dot * dz;
  const pn = Math.hypot(px, py, pz) || 1;
  px /= pn;
  py /= pn;
  pz /= pn;
  // Radiate outwards from the hilum.
  let ox = x - hilum[0], oy = y - hilum[1], oz = z - hilum[2];
  const on = Math.hypot(ox, oy, oz);
  if (on > 1e-6) {
    ox /= on;
    oy /= on;
    oz /= on;
  } else {
    ox = dx;
    oy = dy;
    oz = dz;
  }
  const children: [number, number, number][] = [
    [l1, cos1, sin1],
    [l2, cos2, -sin2],
  ];
  for (const [lambda, c, s] of children) {
    const rc = r * lambda;
    if (rc < spec.minRadius) continue;
    // Vessels wander: a little random bend at every branch point.
    let cx = c * dx + s * px + 0.15 * ox + 0.18 * rng.normal();
    let cy = c * dy + s * py + 0.15 * oy + 0.18 * rng.normal();
    let cz = c * dz + s * pz + 0.15 * oz + 0.18 * rng.normal();
    const n = Math.hypot(cx, cy, cz) || 1;
    cx /= n;
    cy /= n;
    cz /= n;
    queue.push({ x, y, z, dx: cx, dy: cy, dz: cz, r: rc, gen });
  }
}
