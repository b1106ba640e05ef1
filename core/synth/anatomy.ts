/**
 * The patient model of the synthetic chest CT: body outline, chest wall,
 * thoracic cavity, mediastinum, heart, spine, diaphragm and the two lungs,
 * as smooth functions of the axial level.
 *
 * Coordinates: world LPS millimetres. Inside the model, `u = x − cx`
 * (positive towards the patient's left), `v = y − cy` (positive towards the
 * back) and `h = zApex − z` (depth below the lung apexes, positive towards
 * the feet). Every shape is given by an approximate signed distance that is
 * exact in sign, so masks are exact and partial-volume blending is smooth.
 *
 * @module
 */

import type { Rng } from "../random.ts";
import { clamp, ellipseSd, Knots, lerp, smoothstep } from "./_math.ts";

/** An ellipsoid in the model frame (u, v, h) with an in-plane rotation. */
export interface Ellipsoid {
  /** Centre (u, v, h) in mm. */
  readonly u: number;
  /** Centre v (mm). */
  readonly v: number;
  /** Centre depth h below the apex (mm). */
  readonly h: number;
  /** Semi-axis along the rotated u axis (mm). */
  readonly a: number;
  /** Semi-axis along the rotated v axis (mm). */
  readonly b: number;
  /** Semi-axis along h (mm). */
  readonly c: number;
  /** In-plane rotation (radians, from +u towards +v). */
  readonly angle: number;
}

/** Every random number that shapes one synthetic patient. */
export interface AnatomyParams {
  /** World x of the body centre (mm). */
  readonly cx: number;
  /** World y of the body centre (mm). */
  readonly cy: number;
  /** World z of the lung apexes (mm). */
  readonly zApex: number;
  /** Body half-width at the chest (mm). */
  readonly bodyA: number;
  /** Body half-depth (antero-posterior) at the chest (mm). */
  readonly bodyB: number;
  /** Fraction of `bodyB` behind the centre where the back lies flat on the table. */
  readonly backFlat: number;
  /** Subcutaneous fat thickness at the chest (mm). */
  readonly fatMm: number;
  /** Lateral chest-wall thickness (muscle + ribs, mm). */
  readonly wallMm: number;
  /** Anterior chest-wall thickness (muscle + costal cartilage, mm). */
  readonly wallAntMm: number;
  /** Posterior wall thickness (paraspinal muscles, mm). */
  readonly wallPostMm: number;
  /** Neck half-width and half-depth (mm). */
  readonly neckA: number;
  /** Neck half-depth (mm). */
  readonly neckB: number;
  /** Height above the apex where the neck is fully formed (mm). */
  readonly neckRiseMm: number;
  /** Posterior shift of the neck centre (mm). */
  readonly neckShiftV: number;
  /** Cavity width at the apex level relative to its full width. */
  readonly cavityTopLat: number;
  /** Cavity depth at the apex level relative to its full depth. */
  readonly cavityTopAp: number;
  /** Depth of the right and left diaphragm domes below the apex (mm). */
  readonly domeH: readonly [number, number];
  /** How far each hemidiaphragm falls at its rim (mm per unit normalised radius²). */
  readonly domeDrop: readonly [number, number];
  /** Depth over which the apex dome of each lung widens (mm). */
  readonly apexCapMm: number;
  /** Lateral position of the apexes as a fraction of the cavity half-width. */
  readonly apexLat: number;
  /** Depth of the carina below the apex (mm). */
  readonly carinaH: number;
  /** Depth of the top of the aortic arch (mm). */
  readonly archH: number;
  /** Mediastinum midline offset (mm, positive = left). */
  readonly bandU: number;
  /** Anterior mediastinum half-width at the thoracic inlet (mm). */
  readonly bandFrontTop: number;
  /** Anterior junction half-width (mm). */
  readonly bandJunction: number;
  /** Half-widths beside the trachea, at the arch (left), at the SVC (right), below the carina, and at heart levels (mm). */
  readonly bandMid: {
    readonly trachea: number;
    readonly archLeft: number;
    readonly svcRight: number;
    readonly subcarinal: number;
    readonly heart: number;
  };
  /** Half-width of the posterior mediastinum in front of the spine (mm). */
  readonly bandBack: number;
  /** The heart (myocardium outline). */
  readonly heart: Ellipsoid;
  /** Vertebral body radius at the chest (mm). */
  readonly spineR: number;
  /** Vertebral pitch (body + disc, mm). */
  readonly spinePitchMm: number;
  /** Disc thickness (mm). */
  readonly discMm: number;
  /** Phase of the vertebral pattern (mm). */
  readonly spinePhaseMm: number;
  /** Tracheal lumen radius (mm). */
  readonly tracheaR: number;
  /** Tracheal wall thickness (mm). */
  readonly tracheaWallMm: number;
  /** Tracheal midline offset (mm). */
  readonly tracheaU: number;
  /** Oesophagus radius (mm). */
  readonly esophagusR: number;
  /** Descending-aorta radius (mm). */
  readonly aortaR: number;
  /** Parenchyma HU at the front and back of the lungs (gravity-dependent density). */
  readonly lungHu: readonly [number, number];
}

/** Scalar anatomy at one axial level (filled in place by {@linkcode Anatomy.level}). */
export class Level {
  /** World z of the level. */
  z = 0;
  /** Depth below the apex. */
  h = 0;
  /** Body outline: centre v, half-axes, flat back line (v). */
  bodyV = 0;
  /** Body half-width. */
  bodyA = 0;
  /** Body half-depth. */
  bodyB = 0;
  /** v of the flat back. */
  backV = 0;
  /** Fat thickness. */
  fat = 0;
  /** Whether the thoracic/abdominal cavity exists at this level. */
  hasCavity = false;
  /** Cavity centre v and half-axes. */
  cavV = 0;
  /** Cavity half-width. */
  cavA = 0;
  /** Cavity half-depth. */
  cavB = 0;
  /** Whether lungs may exist at this level (below the apex). */
  hasLungs = false;
  /** Right-lung ellipse centre u (negative), v, half-axes. */
  lungU = 0;
  /** Lung ellipse centre v. */
  lungV = 0;
  /** Lung ellipse half-width. */
  lungA = 0;
  /** Lung ellipse half-depth. */
  lungB = 0;
  /** Mediastinum band: midline and v of the three knots. */
  bandU = 0;
  /** v of the anterior knot. */
  bandVFront = 0;
  /** v of the middle knot (trachea). */
  bandVMid = 0;
  /** v of the posterior knot (spine). */
  bandVBack = 0;
  /** Right half-widths at the three knots. */
  bandR0 = 0;
  /** Right half-width at the middle knot. */
  bandR1 = 0;
  /** Right half-width at the posterior knot. */
  bandR2 = 0;
  /** Left half-widths at the three knots. */
  bandL0 = 0;
  /** Left half-width at the middle knot. */
  bandL1 = 0;
  /** Left half-width at the posterior knot. */
  bandL2 = 0;
  /** Vertebral body centre v and half-axes (lateral, AP). */
  spineV = 0;
  /** Vertebral body half-width. */
  spineA = 0;
  /** Vertebral body half-depth. */
  spineB = 0;
  /** Heart cross-section: present, centre, half-axes, rotation. */
  hasHeart = false;
  /** Heart centre u. */
  heartU = 0;
  /** Heart centre v. */
  heartV = 0;
  /** Heart half-axis along its rotated u. */
  heartA = 0;
  /** Heart half-axis along its rotated v. */
  heartB = 0;
  /** cos of the heart rotation. */
  heartCos = 1;
  /** sin of the heart rotation. */
  heartSin = 0;
  /** Descending aorta centre u. */
  aortaU = 0;
  /** Descending aorta centre v. */
  aortaV = 0;
  /** Descending aorta radius. */
  aortaR = 0;
  /** Number of obstacle tubes (great vessels) crossing this level. */
  obstacleCount = 0;
  /** Their indices in the anatomy's obstacle list. */
  obstacles: Int32Array = new Int32Array(16);
  /**
   * Set by a caller that paints this level when the diaphragm is far enough
   * below that its distance term cannot change the coverage (it is then
   * skipped); `level()` resets it.
   */
  diaphragmFar = false;
  /** Trachea centre (u, v) at this level (also above the carina only). */
  tracheaU = 0;
  /** Trachea centre v. */
  tracheaV = 0;
  /** Oesophagus centre (u, v). */
  esophagusU = 0;
  /** Oesophagus centre v. */
  esophagusV = 0;
}

/** Gap kept between a lung and the organs it wraps (pleura + fat, mm). */
export const PLEURA_GAP_MM = 2;

/**
 * Half-width of the mediastinum band on the side of lung `side` (0 = right,
 * 1 = left) at body-frame v: piecewise linear through the level's front,
 * middle (trachea) and back (spine) knots.
 */
export function bandHalfWidth(L: Level, side: 0 | 1, v: number): number {
  const w0 = side === 0 ? L.bandR0 : L.bandL0;
  const w1 = side === 0 ? L.bandR1 : L.bandL1;
  const w2 = side === 0 ? L.bandR2 : L.bandL2;
  if (v <= L.bandVFront) return w0;
  if (v <= L.bandVMid) {
    return w0 + (w1 - w0) * (v - L.bandVFront) / (L.bandVMid - L.bandVFront);
  }
  if (v <= L.bandVBack) {
    return w1 + (w2 - w1) * (v - L.bandVMid) / (L.bandVBack - L.bandVMid);
  }
  return w2;
}

/**
 * Draws a patient (an adult of 27–37 cm chest width).
 *
 * @param rng seeded generator
 * @param placement world position of the body centre and lung apex
 * @returns the patient's parameters
 */
export function drawAnatomy(
  rng: Rng,
  placement: { cx: number; cy: number; zApex: number },
): AnatomyParams {
  const u = (lo: number, hi: number) => rng.uniform(lo, hi);
  const bodyA = u(135, 185);
  const bodyB = bodyA * u(0.68, 0.8);
  let fatMm = u(5, 26);
  const wallMm = u(15, 21);
  const wallPostMm = u(22, 32);
  // Keep a thoracic cavity of adult size even in slim or small patients.
  fatMm = Math.min(fatMm, bodyB - wallMm - 60);
  const domeR = u(175, 215);
  const domeH: [number, number] = [domeR, domeR + u(8, 22)];
  const carinaH = u(0.38, 0.44) * domeR;
  const archH = carinaH - u(14, 24);
  const spineR = u(15, 19);
  const tracheaR = u(7, 10);
  const heart: Ellipsoid = {
    u: u(10, 24),
    v: 0, // placed below, once the cavity is known
    h: (domeH[0] + domeH[1]) / 2 - u(28, 40),
    a: u(0.46, 0.54), // fractions of the cavity, scaled below
    b: u(0.6, 0.7),
    c: u(52, 64),
    // The long axis points from the base (right, back) to the apex (left,
    // front).
    angle: -u(0.45, 0.8),
  };
  const params: AnatomyParams = {
    ...placement,
    bodyA,
    bodyB,
    backFlat: u(0.9, 0.95),
    fatMm,
    wallMm,
    wallAntMm: u(11, 16),
    wallPostMm,
    neckA: u(52, 66),
    neckB: u(52, 64),
    neckRiseMm: u(45, 65),
    neckShiftV: bodyB * u(0.15, 0.25),
    cavityTopLat: u(0.5, 0.6),
    cavityTopAp: u(0.7, 0.8),
    domeH,
    domeDrop: [u(30, 44), u(30, 44)],
    apexCapMm: u(60, 85),
    apexLat: u(0.42, 0.52),
    carinaH,
    archH,
    bandU: u(-3, 5),
    bandFrontTop: u(16, 24),
    bandJunction: u(3.5, 6.5),
    bandMid: {
      trachea: tracheaR + 2 + u(7, 12),
      archLeft: u(20, 26),
      svcRight: u(16, 22),
      subcarinal: u(22, 30),
      heart: u(12, 18),
    },
    bandBack: spineR * u(1, 1.1),
    heart,
    spineR,
    spinePitchMm: u(22, 26),
    discMm: u(3.5, 5.5),
    spinePhaseMm: u(0, 26),
    tracheaR,
    tracheaWallMm: u(1.4, 2.2),
    tracheaU: u(-6, 0),
    esophagusR: u(6.5, 8.5),
    aortaR: u(10.5, 13),
    lungHu: [u(-885, -845), u(-840, -790)],
  };
  // The heart sits in the front half of the cavity, sized from it.
  const level = new Anatomy(params).level(params.zApex - heart.h);
  return {
    ...params,
    heart: {
      ...heart,
      a: heart.a * level.cavA,
      b: heart.b * level.cavB,
      v: level.cavV - level.cavB * u(0.15, 0.25),
    },
  };
}

/** The patient model: evaluates every level-dependent shape. */
export class Anatomy {
  /** The drawn parameters. */
  readonly p: AnatomyParams;
  readonly #bandR1: Knots;
  readonly #bandL1: Knots;
  readonly #bandFront: Knots;
  readonly #aortaV: Knots;
  readonly #aortaU: Knots;
  // Cavity half-axes and dome centre (v) at the level of the right dome.
  readonly #refA: number;
  readonly #refB: number;
  readonly #domeV: number;
  readonly #scratch: Level = new Level();
  // Great vessels the lungs wrap around: 7 numbers per tube (x0 y0 z0 x1 y1
  // z1 r), world mm.
  #obstacles = new Float64Array(0);

  /** Builds the model from its parameters. */
  constructor(params: AnatomyParams) {
    this.p = params;
    const p = params;
    const m = p.bandMid;
    const heartTop = p.heart.h - p.heart.c;
    this.#bandR1 = new Knots([
      [0, m.trachea],
      [p.archH - 12, m.trachea],
      [p.archH, m.svcRight],
      [p.carinaH + 2, m.svcRight],
      [p.carinaH + 10, Math.max(m.subcarinal, m.svcRight * 0.8)],
      [p.carinaH + 34, m.subcarinal],
      [heartTop + 40, m.heart],
    ]);
    this.#bandL1 = new Knots([
      [0, m.trachea],
      [p.archH - 14, m.trachea],
      [p.archH - 2, m.archLeft],
      [p.carinaH, m.archLeft],
      [p.carinaH + 12, m.subcarinal],
      [p.carinaH + 34, m.subcarinal],
      [heartTop + 40, m.heart],
    ]);
    this.#bandFront = new Knots([
      [0, p.bandFrontTop],
      [0.32 * p.domeH[0], p.bandJunction],
    ]);
    // Descending aorta: from behind the arch down beside the spine, then in
    // front of the spine below the diaphragm.
    const spine = p.spineR;
    this.#aortaU = new Knots([
      [p.archH + 8, spine * 1.05 + p.aortaR * 0.7],
      [p.domeH[1] - 10, spine * 0.6 + p.aortaR * 0.5],
      [p.domeH[1] + 60, 4],
    ]);
    this.#aortaV = new Knots([
      [p.archH + 8, -spine * 0.55],
      [p.domeH[1] - 10, -spine * 0.85],
      [p.domeH[1] + 60, -spine - p.aortaR - 4],
    ]);
    this.#refA = 1;
    this.#refB = 1;
    this.#domeV = 0;
    const ref = this.level(p.zApex - p.domeH[0]);
    this.#refA = ref.cavA;
    this.#refB = ref.cavB;
    this.#domeV = ref.cavV - 0.1 * ref.cavB;
  }

  /**
   * Sets the tubes the lungs must wrap around (aorta, pulmonary trunk,
   * superior vena cava): the lungs keep a pleural gap from each.
   *
   * @param tubes world capsules: ends (x, y, z) and radius (mm)
   */
  setObstacles(
    tubes: readonly {
      readonly a: readonly [number, number, number];
      readonly b: readonly [number, number, number];
      readonly r: number;
    }[],
  ): void {
    const o = new Float64Array(tubes.length * 7);
    tubes.forEach((t, i) => o.set([...t.a, ...t.b, t.r], i * 7));
    this.#obstacles = o;
  }

  /**
   * Evaluates the level at world z.
   *
   * @param z world z (mm)
   * @param out level object to fill (a new one by default)
   * @returns `out`
   */
  level(z: number, out: Level = new Level()): Level {
    const p = this.p;
    const h = p.zApex - z;
    out.z = z;
    out.h = h;
    out.diaphragmFar = false;
    // Body: chest ellipse, narrowing through the shoulders into the neck above
    // the apex and widening a little over the abdomen.
    const sNeck = smoothstep(0.3 * p.neckRiseMm, p.neckRiseMm, -h);
    const sAbd = smoothstep(p.domeH[0], p.domeH[0] + 100, h);
    out.bodyA = lerp(p.bodyA, p.neckA, sNeck) * (1 + 0.04 * sAbd);
    out.bodyB = lerp(p.bodyB, p.neckB, sNeck) * (1 + 0.05 * sAbd);
    out.bodyV = lerp(0, p.neckShiftV, sNeck);
    out.backV = out.bodyV + out.bodyB * p.backFlat;
    out.fat = p.fatMm * lerp(1, 0.5, sNeck) * (1 + 0.45 * sAbd);
    // Cavity: exists below the apex; narrower and shallower at the top of the
    // thorax (the thoracic inlet), its back wall fixed in front of the spine.
    out.hasCavity = h >= 0;
    const back = out.backV - out.fat - p.wallPostMm;
    const front = out.bodyV - out.bodyB + out.fat + p.wallAntMm;
    const kLat = p.cavityTopLat +
      (1 - p.cavityTopLat) * smoothstep(-10, 0.85 * p.domeH[0], h);
    const kAp = p.cavityTopAp +
      (1 - p.cavityTopAp) * smoothstep(0, 0.6 * p.domeH[0], h);
    out.cavA = (out.bodyA - out.fat - p.wallMm) * kLat;
    out.cavB = ((back - front) / 2) * kAp;
    out.cavV = back - out.cavB;
    // Spine: the vertebral body bulges into the back of the cavity; in the
    // neck it sits behind the centre of the neck.
    const spineScale = lerp(1, 0.72, sNeck) *
      (1 + 0.18 * smoothstep(p.domeH[0], p.domeH[0] + 120, h));
    const spineChest = back - p.spineR * 1.4 - 1.5;
    out.spineV = lerp(spineChest, out.bodyV + out.bodyB * 0.12, sNeck);
    out.spineA = p.spineR * 1.1 * spineScale;
    out.spineB = p.spineR * 0.9 * spineScale;
    // Trachea in front of the oesophagus, which lies in front of the spine;
    // it runs forward towards the larynx above the apex.
    out.esophagusV = out.spineV - out.spineB - p.esophagusR - 1.5;
    out.esophagusU = p.tracheaU +
      lerp(4, 14, smoothstep(p.carinaH, p.domeH[1], h));
    out.tracheaU = p.tracheaU;
    out.tracheaV = out.esophagusV - p.esophagusR - p.tracheaR -
      p.tracheaWallMm - 1 - 0.22 * Math.max(0, -h);
    out.tracheaV = Math.max(
      out.tracheaV,
      out.bodyV - out.bodyB + out.fat + p.tracheaR + 12,
    );
    // Lungs: each lung is its own ellipse clipped by the cavity; near the apex
    // the ellipse shrinks to a dome.
    out.hasLungs = h > 0;
    const apexT = h >= p.apexCapMm ? 1 : h <= 0 ? 0 : h / p.apexCapMm;
    // A rounded dome whose tip is narrower than a sphere's (the apex's
    // radius of curvature is a few cm).
    const sApex = Math.sqrt(Math.max(0, 1 - (1 - apexT) * (1 - apexT))) *
      apexT ** 0.3;
    const spread = smoothstep(0, 0.5 * p.domeH[0], h);
    out.lungU = lerp(p.apexLat, 0.5, spread) * out.cavA;
    out.lungV = out.cavV + lerp(0.22, 0.04, spread) * out.cavB;
    out.lungA = (0.6 * out.cavA + 8) * sApex;
    out.lungB = 1.05 * out.cavB * sApex;
    // Mediastinum band between the lungs.
    out.bandU = p.bandU;
    out.bandVFront = out.cavV - out.cavB;
    out.bandVMid = out.tracheaV;
    out.bandVBack = out.spineV;
    const frontW = this.#bandFront.at(h);
    out.bandR0 = frontW;
    out.bandL0 = frontW;
    out.bandR1 = this.#bandR1.at(h);
    out.bandL1 = this.#bandL1.at(h);
    out.bandR2 = p.bandBack;
    out.bandL2 = p.bandBack;
    // Heart.
    const hz = (h - p.heart.h) / p.heart.c;
    out.hasHeart = hz > -1 && hz < 1;
    if (out.hasHeart) {
      const s = Math.sqrt(1 - hz * hz);
      out.heartU = p.heart.u;
      out.heartV = p.heart.v;
      out.heartA = p.heart.a * s;
      out.heartB = p.heart.b * s;
      out.heartCos = Math.cos(p.heart.angle);
      out.heartSin = Math.sin(p.heart.angle);
    }
    // Descending aorta beside the spine (a tube; see setObstacles).
    // Obstacle tubes within reach of this level.
    const o = this.#obstacles;
    let count = 0;
    for (let i = 0; i < o.length; i += 7) {
      const reach = o[i + 6] + PLEURA_GAP_MM + 4;
      if (
        z >= Math.min(o[i + 2], o[i + 5]) - reach &&
        z <= Math.max(o[i + 2], o[i + 5]) + reach
      ) {
        if (count === out.obstacles.length) {
          const grown = new Int32Array(count * 2);
          grown.set(out.obstacles);
          out.obstacles = grown;
        }
        out.obstacles[count++] = i;
      }
    }
    out.obstacleCount = count;
    out.aortaR = p.aortaR *
      (1 - 0.18 * smoothstep(p.domeH[1], p.domeH[1] + 80, h));
    out.aortaU = this.#aortaU.at(h);
    out.aortaV = out.spineV + this.#aortaV.at(h);
    return out;
  }

  /**
   * World z of the hemidiaphragm of `side` (0 = right, 1 = left) above
   * (u, v): a dome, highest near the middle of each side, falling towards
   * the costophrenic recesses (deepest at the back).
   */
  diaphragmZ(side: 0 | 1, u: number, v: number): number {
    const p = this.p;
    const du = (u - (side === 0 ? -0.45 : 0.45) * this.#refA) /
      (0.52 * this.#refA);
    const dv = (v - this.#domeV) / (0.9 * this.#refB);
    return p.zApex - p.domeH[side] - p.domeDrop[side] * (du * du + dv * dv);
  }

  /**
   * Vertical extent (mm) of one voxel seen by the diaphragm surface at (u, v):
   * |∂z/∂u|·sx + |∂z/∂v|·sy + sz, the box filter's width along the surface
   * normal scaled to vertical distance.
   */
  diaphragmWidth(
    side: 0 | 1,
    u: number,
    v: number,
    sx: number,
    sy: number,
    sz: number,
  ): number {
    const au = 0.52 * this.#refA, bv = 0.9 * this.#refB;
    const du = (u - (side === 0 ? -0.45 : 0.45) * this.#refA) / au;
    const dv = (v - this.#domeV) / bv;
    const k = 2 * this.p.domeDrop[side];
    return Math.abs(k * du / au) * sx + Math.abs(k * dv / bv) * sy + sz;
  }

  /**
   * Signed distance from (u, v) at `level` to the lung of `side`, in units
   * of the partial-volume width (negative inside). In-plane terms are
   * multiplied by `invW` (1 / in-plane spacing); the diaphragm term is
   * divided by the voxel's vertical width for spacings (sx, sy, sz). With
   * `invW = 1, sx = sy = 0, sz = 1` the result is in mm (the diaphragm term
   * then measures vertical distance).
   *
   * Terms whose value exceeds 0.5 stop the evaluation early (a lower bound
   * is returned), so values above 0.5 only say "outside".
   */
  lungDistance(
    level: Level,
    side: 0 | 1,
    u: number,
    v: number,
    invW: number,
    sx: number,
    sy: number,
    sz: number,
  ): number {
    if (!level.hasLungs) return 1e6;
    const L = level;
    // Own ellipse.
    const eu = side === 0 ? u + L.lungU : u - L.lungU;
    let d = ellipseSd(eu, v - L.lungV, L.lungA, L.lungB) * invW;
    if (d > 0.5) return d;
    // Cavity.
    let t = ellipseSd(u, v - L.cavV, L.cavA, L.cavB) * invW;
    if (t > d) {
      d = t;
      if (d > 0.5) return d;
    }
    // Mediastinum band.
    t = side === 0
      ? (u - L.bandU + bandHalfWidth(L, 0, v)) * invW
      : (L.bandU + bandHalfWidth(L, 1, v) - u) * invW;
    if (t > d) {
      d = t;
      if (d > 0.5) return d;
    }
    // Vertebral body.
    t = -(ellipseSd(
      u,
      v - L.spineV,
      L.spineA + PLEURA_GAP_MM,
      L.spineB + PLEURA_GAP_MM,
    )) * invW;
    if (t > d) {
      d = t;
      if (d > 0.5) return d;
    }
    // Heart.
    if (L.hasHeart) {
      const du = u - L.heartU, dv = v - L.heartV;
      const ru = du * L.heartCos + dv * L.heartSin;
      const rv = -du * L.heartSin + dv * L.heartCos;
      t = -(ellipseSd(
        ru,
        rv,
        L.heartA + PLEURA_GAP_MM,
        L.heartB + PLEURA_GAP_MM,
      )) * invW;
      if (t > d) {
        d = t;
        if (d > 0.5) return d;
      }
    }
    // Great vessels: the aorta indents the left lung, the SVC the right.
    if (L.obstacleCount > 0) {
      const o = this.#obstacles;
      const px = u + this.p.cx, py = v + this.p.cy, pz = L.z;
      for (let k = 0; k < L.obstacleCount; k++) {
        const i = L.obstacles[k];
        const ax = o[i], ay = o[i + 1], az = o[i + 2];
        const bx = o[i + 3] - ax, by = o[i + 4] - ay, bz = o[i + 5] - az;
        const qx = px - ax, qy = py - ay, qz = pz - az;
        const len2 = bx * bx + by * by + bz * bz;
        let f = len2 > 0 ? (qx * bx + qy * by + qz * bz) / len2 : 0;
        f = f < 0 ? 0 : f > 1 ? 1 : f;
        const ex = qx - f * bx, ey = qy - f * by, ez = qz - f * bz;
        t =
          (o[i + 6] + PLEURA_GAP_MM - Math.sqrt(ex * ex + ey * ey + ez * ez)) *
          invW;
        if (t > d) {
          d = t;
          if (d > 0.5) return d;
        }
      }
    }
    // Diaphragm: the lung lies above its hemidiaphragm.
    if (L.diaphragmFar) return d;
    const dz = this.diaphragmZ(side, u, v) - L.z;
    t = dz / this.diaphragmWidth(side, u, v, sx, sy, sz);
    return t > d ? t : d;
  }

  /**
   * World (x, y) box of the cross-section at `level` of its k-th obstacle
   * tube (see {@linkcode Level.obstacles}), grown by the tube's radius, the
   * pleural gap and `grow` mm: outside it that obstacle's distance term is
   * below −`grow`.
   *
   * @param level a level from {@linkcode Anatomy.level}
   * @param k index among the level's obstacles
   * @param grow extra margin (mm)
   * @param out receives [xMin, xMax, yMin, yMax]
   * @returns false when the tube does not reach the level's plane
   */
  obstacleBox(
    level: Level,
    k: number,
    grow: number,
    out: Float64Array,
  ): boolean {
    const o = this.#obstacles;
    const i = level.obstacles[k];
    const ax = o[i], ay = o[i + 1], az = o[i + 2];
    const dx = o[i + 3] - ax, dy = o[i + 4] - ay, dz = o[i + 5] - az;
    const reach = o[i + 6] + PLEURA_GAP_MM + grow;
    const pz = level.z - az;
    let t0 = 0, t1 = 1;
    if (Math.abs(dz) > 1e-9) {
      const ta = (pz - reach) / dz, tb = (pz + reach) / dz;
      t0 = Math.max(0, Math.min(ta, tb));
      t1 = Math.min(1, Math.max(ta, tb));
      if (t0 > t1) return false;
    } else if (Math.abs(pz) > reach) {
      return false;
    }
    out[0] = Math.min(ax + dx * t0, ax + dx * t1) - reach;
    out[1] = Math.max(ax + dx * t0, ax + dx * t1) + reach;
    out[2] = Math.min(ay + dy * t0, ay + dy * t1) - reach;
    out[3] = Math.max(ay + dy * t0, ay + dy * t1) + reach;
    return true;
  }

  /**
   * Signed distance (mm, negative inside; the diaphragm term is vertical
   * distance) from a world point to the lung of `side`. Allocates; for
   * setup code, not for per-voxel loops.
   */
  lungDistanceAt(side: 0 | 1, x: number, y: number, z: number): number {
    const level = this.level(z, this.#scratch);
    return this.lungDistance(
      level,
      side,
      x - this.p.cx,
      y - this.p.cy,
      1,
      0,
      0,
      1,
    );
  }

  /**
   * Which lung contains the world point: 0 (right), 1 (left) or -1 (none).
   */
  lungAt(x: number, y: number, z: number): -1 | 0 | 1 {
    const side = x < this.p.cx + this.p.bandU ? 0 : 1;
    return this.lungDistanceAt(side, x, y, z) < 0 ? side : -1;
  }

  /** Parenchyma HU at body-frame v for the level (denser towards the back). */
  lungHu(level: Level, v: number): number {
    const f = clamp(
      (v - (level.cavV - level.cavB)) / (2 * level.cavB + 1e-9),
      0,
      1,
    );
    return lerp(this.p.lungHu[0], this.p.lungHu[1], f * f);
  }
}
