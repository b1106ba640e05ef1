/**
 * One synthetic chest CT scan in Hounsfield units with its ground truth:
 * per-lung labels (3 = right, 4 = left, as in LUNA16's seg-lungs-LUNA16),
 * nodules in world mm with their type, and irrelevant findings for
 * LUNA16's excluded table.
 *
 * The scan is painted slice by slice, bottom to top: table, body (fat and
 * muscle), abdomen below the diaphragm (liver, spleen, stomach, kidneys,
 * bowel), mediastinum (fat, heart, oesophagus), spine, sternum, scapulae,
 * neck organs, then 3D tubes (ribs, clavicles, aorta, pulmonary trunk,
 * SVC), the lungs, the pulmonary vessel and bronchial trees, the nodules,
 * the trachea and main bronchi (which are cut out of the lung masks), and
 * finally correlated noise, quantisation and the field-of-view padding.
 *
 * @module
 */

import { createRng, type Rng } from "../random.ts";
import {
  createVolume,
  type Matrix3,
  NEIGHBOUR_DIRECTIONS,
  type Volume,
  worldToVoxel,
  type Zyx,
} from "../volume.ts";
import { clamp, ellipseSd, lerp, ramp } from "./_math.ts";
import {
  Anatomy,
  type AnatomyParams,
  bandHalfWidth,
  drawAnatomy,
  type Ellipsoid,
  Level,
  PLEURA_GAP_MM,
} from "./anatomy.ts";
import { sampleNoduleDiameterMm } from "./diameters.ts";
import { SliceNoise } from "./noise.ts";
import {
  blobReach,
  type BlobShape,
  type Canvas,
  CLIP_INSIDE,
  CLIP_NONE,
  CLIP_OUTSIDE,
  type ClipMode,
  createCanvas,
  ellipseRowSpan,
  paintBlob,
  paintEllipse,
  paintSegment,
  TubeSet,
} from "./raster.ts";
import { type BranchPoint, growTree, Occupancy } from "./trees.ts";

/** Label of the right lung in the masks (LUNA16 convention). */
export const LUNG_LABEL_RIGHT = 3;
/** Label of the left lung in the masks (LUNA16 convention). */
export const LUNG_LABEL_LEFT = 4;

/** Kinds of synthetic nodule. */
export type SyntheticNoduleType = "solid" | "ground_glass" | "juxtapleural";

/** A nodule of a synthetic scan (an `annotations.csv` row). */
export interface SyntheticNodule {
  /** Centre in world LPS mm, (z, y, x). */
  readonly worldMm: Zyx;
  /** Diameter (twice the mean radius) in mm. */
  readonly diameterMm: number;
  /** Solid, ground-glass, or juxtapleural (solid, attached to the chest wall). */
  readonly type: SyntheticNoduleType;
  /** Nominal HU of the nodule's interior. */
  readonly hu: number;
  /** The lung it lies in. */
  readonly lung: "right" | "left";
}

/** An irrelevant finding (an `annotations_excluded.csv` row). */
export interface SyntheticFinding {
  /** Centre in world LPS mm, (z, y, x). */
  readonly worldMm: Zyx;
  /** Diameter in mm, or -1 for a mark without size (a non-nodule). */
  readonly diameterMm: number;
  /** A nodule under 3 mm, or a non-nodule mark on a vessel bifurcation. */
  readonly kind: "tiny_nodule" | "non_nodule";
}

/** The scanner and patient variations a scan was drawn with. */
export interface SyntheticScanFlags {
  /** The scan starts in the neck: the top slices hold no lung. */
  readonly neckStart: boolean;
  /** The scan extends into the upper abdomen below the lungs. */
  readonly abdomenEnd: boolean;
  /** HU outside the circular field of view (-2048 or -3024), or null when the whole square is reconstructed. */
  readonly fovPaddingHu: number | null;
  /** LUNA16-style TransformMatrix `-1 0 0 0 -1 0 0 0 1`: data stored with x and y reversed. */
  readonly flippedXY: boolean;
  /** Intravenous contrast: blood is bright. */
  readonly contrast: boolean;
}

/** Options of {@linkcode generateSyntheticScan}. */
export interface SyntheticScanOptions {
  /** In-plane size (rows = columns), 32–2048; default 512. */
  readonly size?: number;
  /**
   * Number of slices, 8–2000, or `"auto"` (default): the scanned range over
   * a slice spacing drawn from 0.625–2.5 mm. With a fixed count the spacing
   * is the scanned range over the count.
   */
  readonly slices?: number | "auto";
  /** Number of nodules (0–8); drawn (0–3) by default. */
  readonly noduleCount?: number;
  /** Forces some of the drawn flags. */
  readonly flags?: Partial<SyntheticScanFlags>;
}

/** Axial positions (world z, mm) of landmarks of a synthetic scan. */
export interface SyntheticLandmarks {
  /** Top of the lung apexes. */
  readonly lungApexZMm: number;
  /** Lowest point of the lungs (costophrenic recess). */
  readonly lungBottomZMm: number;
  /** The carina. */
  readonly carinaZMm: number;
}

/** A generated scan and its ground truth. */
export interface SyntheticScan {
  /** The seed it was generated from. */
  readonly seed: number;
  /** The CT volume in HU. */
  readonly volume: Volume<Int16Array>;
  /** Lung labels on the same grid: 0, 3 (right lung) or 4 (left lung). */
  readonly lungMask: Volume<Uint8Array>;
  /** Nodules (annotations). */
  readonly nodules: readonly SyntheticNodule[];
  /** Irrelevant findings (excluded annotations). */
  readonly excluded: readonly SyntheticFinding[];
  /** Scanner and patient variations. */
  readonly flags: SyntheticScanFlags;
  /** Standard deviation of the image noise (HU). */
  readonly noiseSdHu: number;
  /** Axial landmarks. */
  readonly landmarks: SyntheticLandmarks;
}

interface Tissue {
  air: number;
  fat: number;
  mediastinalFat: number;
  muscle: number;
  blood: number;
  myocardium: number;
  liver: number;
  spleen: number;
  kidney: number;
  cortical: number;
  cancellous: number;
  cartilage: number;
  disc: number;
  cord: number;
  thyroid: number;
  airwayWall: number;
  tableShell: number;
  tableCore: number;
  bowel: number;
}

interface ScanPlan {
  nx: number;
  ny: number;
  nz: number;
  sxy: number;
  sz: number;
  x0: number;
  y0: number;
  z0: number;
  fovMm: number;
  flags: SyntheticScanFlags;
  noiseSd: number;
  noiseCorrelation: number;
  anatomy: Anatomy;
  lungBottomZ: number;
  tissue: Tissue;
}

const SLICE_THICKNESSES = [0.625, 0.7, 0.75, 0.8, 1, 1.25, 1.5, 2, 2.5];
const SLICE_WEIGHTS = [0.15, 0.04, 0.03, 0.03, 0.1, 0.15, 0.1, 0.1, 0.3];

/**
 * Generates one synthetic chest CT scan; the same seed and options always
 * give the same bytes.
 *
 * @param seed integer seed (0 … 2³²−1)
 * @param options in-plane size, slice count, nodule count, forced flags
 * @returns the volume, its lung labels, nodules and excluded findings
 * @example
 * ```ts
 * import { generateSyntheticScan } from "./scan.ts";
 * const scan = generateSyntheticScan(7, { size: 96, slices: 48 });
 * scan.volume.shape; // [48, 96, 96]
 * ```
 */
export function generateSyntheticScan(
  seed: number,
  options: SyntheticScanOptions = {},
): SyntheticScan {
  validateSyntheticScanOptions(seed, options);
  const rng = createRng(seed);
  const plan = planScan(rng.fork(), options);
  const structures = buildStructures(rng.fork(), plan);
  const found = placeFindings(rng.fork(), plan, structures, options);
  const noise = new SliceNoise(rng.fork(), plan.nx, {
    sdHu: plan.noiseSd,
    correlation: plan.noiseCorrelation,
  });
  const { data, mask } = render(plan, structures, found.blobs, noise);
  let originMm: Zyx = [plan.z0, plan.y0, plan.x0];
  let direction: Matrix3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];
  if (plan.flags.flippedXY) {
    // Reversing each slice's pixel order flips x and y; the direction and
    // origin follow, so every voxel keeps its world position.
    const n = plan.nx * plan.ny;
    for (let k = 0; k < plan.nz; k++) {
      data.subarray(k * n, (k + 1) * n).reverse();
      mask.subarray(k * n, (k + 1) * n).reverse();
    }
    originMm = [
      plan.z0,
      plan.y0 + (plan.ny - 1) * plan.sxy,
      plan.x0 + (plan.nx - 1) * plan.sxy,
    ];
    direction = [1, 0, 0, 0, -1, 0, 0, 0, -1];
  }
  const geometry = {
    spacingMm: [plan.sz, plan.sxy, plan.sxy] as Zyx,
    originMm,
    direction,
  };
  const p = plan.anatomy.p;
  return {
    seed,
    volume: createVolume(data, [plan.nz, plan.ny, plan.nx], geometry),
    lungMask: createVolume(mask, [plan.nz, plan.ny, plan.nx], geometry),
    nodules: found.nodules,
    excluded: found.excluded,
    flags: plan.flags,
    noiseSdHu: plan.noiseSd,
    landmarks: {
      lungApexZMm: p.zApex,
      lungBottomZMm: plan.lungBottomZ,
      carinaZMm: p.zApex - p.carinaH,
    },
  };
}

/**
 * Checks a seed and options of {@linkcode generateSyntheticScan}.
 *
 * @param seed the seed to check
 * @param options the options to check
 * @throws {RangeError} naming the first bad option and what was expected
 * @example
 * ```ts
 * import { validateSyntheticScanOptions } from "./scan.ts";
 * validateSyntheticScanOptions(1, { size: 64 }); // fine
 * // validateSyntheticScanOptions(1, { size: 8 }) throws "size is 8, expected …"
 * ```
 */
export function validateSyntheticScanOptions(
  seed: number,
  options: SyntheticScanOptions,
): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(
      `Cannot generate a synthetic scan: seed is ${seed}, expected an integer in [0, 4294967295]`,
    );
  }
  const { size, slices, noduleCount } = options;
  if (
    size !== undefined && (!Number.isInteger(size) || size < 32 || size > 2048)
  ) {
    throw new RangeError(
      `Cannot generate a synthetic scan: size is ${size}, expected an integer in [32, 2048]`,
    );
  }
  if (
    slices !== undefined && slices !== "auto" &&
    (!Number.isInteger(slices) || slices < 8 || slices > 2000)
  ) {
    throw new RangeError(
      `Cannot generate a synthetic scan: slices is ${
        JSON.stringify(slices)
      }, expected "auto" or an integer in [8, 2000]`,
    );
  }
  if (
    noduleCount !== undefined &&
    (!Number.isInteger(noduleCount) || noduleCount < 0 || noduleCount > 8)
  ) {
    throw new RangeError(
      `Cannot generate a synthetic scan: noduleCount is ${noduleCount}, expected an integer in [0, 8]`,
    );
  }
  const pad = options.flags?.fovPaddingHu;
  if (pad !== undefined && pad !== null && pad !== -2048 && pad !== -3024) {
    throw new RangeError(
      `Cannot generate a synthetic scan: flags.fovPaddingHu is ${pad}, expected -2048, -3024 or null`,
    );
  }
}

// ---------------------------------------------------------------------------
// Planning: scanner, patient, scan range.

function planScan(rng: Rng, options: SyntheticScanOptions): ScanPlan {
  const u = (lo: number, hi: number) => rng.uniform(lo, hi);
  const size = options.size ?? 512;
  // The patient first (apex at z = 0, centred at the origin); the field of
  // view is then set to the body width, as a technologist would, in round
  // mm, so that 512 pixels give 0.6–1.0 mm.
  const relative = drawAnatomy(rng, { cx: 0, cy: 0, zApex: 0 });
  const fovMm = clamp(
    Math.round((2 * relative.bodyA * u(1.08, 1.35)) / 5) * 5,
    310,
    510,
  );
  const sxy = fovMm / size;
  let pick = rng.next(), thickness = SLICE_THICKNESSES.at(-1)!;
  for (let i = 0; i < SLICE_WEIGHTS.length; i++) {
    if (pick < SLICE_WEIGHTS[i]) {
      thickness = SLICE_THICKNESSES[i];
      break;
    }
    pick -= SLICE_WEIGHTS[i];
  }
  const drawn: SyntheticScanFlags = {
    neckStart: rng.next() < 0.35,
    abdomenEnd: rng.next() < 0.35,
    fovPaddingHu: rng.next() < 0.5 ? (rng.next() < 0.6 ? -2048 : -3024) : null,
    flippedXY: rng.next() < 0.2,
    contrast: rng.next() < 0.2,
  };
  const flags: SyntheticScanFlags = { ...drawn, ...options.flags };
  const noiseSd = Math.exp(u(Math.log(9), Math.log(42)));
  const noiseCorrelation = u(0.3, 0.6);
  // Grid placement in the world, as scanners write it: x and y origins about
  // −FOV/2, the lowest slice at a negative z.
  const x0 = -fovMm / 2 + sxy / 2 + u(-20, 20);
  const y0 = -fovMm / 2 + sxy / 2 + u(-30, 30);
  const zBottomWorld = Math.round(u(-420, -60) * 4) / 4;
  const imageCx = x0 + (size - 1) / 2 * sxy;
  const imageCy = y0 + (size - 1) / 2 * sxy;
  const cx = imageCx + u(-10, 10);
  const cy = imageCy + u(-22, -4);
  const topMargin = flags.neckStart ? u(50, 90) : u(4, 18);
  const bottomMargin = flags.abdomenEnd ? u(60, 120) : u(4, 18);
  const tissue = drawTissue(rng, flags.contrast);
  const lungBottomRel = findLungBottom(new Anatomy(relative));
  const zTopRel = topMargin;
  const zBottomRel = lungBottomRel - bottomMargin;
  const range = zTopRel - zBottomRel;
  let nz: number, sz: number;
  if (options.slices === undefined || options.slices === "auto") {
    sz = thickness;
    nz = Math.round(range / sz) + 1;
  } else {
    nz = options.slices;
    sz = range / (nz - 1);
  }
  // Move the patient so the scan's lowest slice lands on zBottomWorld.
  const shift = zBottomWorld - zBottomRel;
  const params: AnatomyParams = {
    ...relative,
    cx,
    cy,
    zApex: relative.zApex + shift,
  };
  return {
    nx: size,
    ny: size,
    nz,
    sxy,
    sz,
    x0,
    y0,
    z0: zBottomWorld,
    fovMm,
    flags,
    noiseSd,
    noiseCorrelation,
    anatomy: new Anatomy(params),
    lungBottomZ: lungBottomRel + shift,
    tissue,
  };
}

function drawTissue(rng: Rng, contrast: boolean): Tissue {
  const u = (lo: number, hi: number) => rng.uniform(lo, hi);
  const fat = u(-110, -85);
  const muscle = u(35, 55);
  return {
    air: -1000,
    fat,
    mediastinalFat: fat + u(5, 25),
    muscle,
    blood: contrast ? u(160, 300) : u(35, 55),
    myocardium: contrast ? u(90, 130) : muscle + u(-5, 5),
    liver: u(50, 65) + (contrast ? u(30, 50) : 0),
    spleen: u(42, 52) + (contrast ? u(40, 70) : 0),
    kidney: u(28, 38) + (contrast ? u(100, 160) : 0),
    cortical: u(700, 1000),
    cancellous: u(180, 300),
    cartilage: u(80, 180),
    disc: u(70, 100),
    cord: u(20, 40),
    thyroid: u(80, 120),
    airwayWall: u(10, 50),
    tableShell: u(250, 600),
    tableCore: u(-990, -930),
    bowel: u(15, 35),
  };
}

/** Lowest world z (mm) where either lung exists, to 0.5 mm. */
function findLungBottom(anatomy: Anatomy): number {
  const p = anatomy.p;
  const level = new Level();
  let lowest = p.zApex - Math.min(p.domeH[0], p.domeH[1]);
  for (
    let z = lowest;
    z > p.zApex - Math.max(...p.domeH) - 160;
    z -= 0.5
  ) {
    anatomy.level(z, level);
    let any = false;
    for (let j = 0; j <= 48 && !any; j++) {
      const v = level.cavV - level.cavB + (2 * level.cavB * j) / 48;
      for (let i = 0; i <= 64 && !any; i++) {
        const uu = -level.cavA + (2 * level.cavA * i) / 64;
        const side = uu < p.bandU ? 0 : 1;
        if (anatomy.lungDistance(level, side, uu, v, 1, 0, 0, 1) < 0) {
          any = true;
        }
      }
    }
    if (any) lowest = z;
    else if (z < lowest - 6) break;
  }
  return lowest;
}

// ---------------------------------------------------------------------------
// 3D structures: tubes and organs.

interface Structures {
  /** Painted before the lungs: ribs, clavicles, great vessels. */
  pre: TubeSet;
  /** Pulmonary vessels (after the lungs). */
  vessels: TubeSet;
  /** Intrapulmonary bronchi (after the vessels). */
  bronchi: TubeSet;
  /** Trachea and main bronchi: painted last, cut out of the masks. */
  airway: TubeSet;
  /** Branch points of the vessel trees. */
  branchPoints: BranchPoint[];
  /** Abdominal organs. */
  liver: Ellipsoid;
  spleen: Ellipsoid;
  stomach: Ellipsoid;
  stomachAirV: number;
  kidneys: [Ellipsoid, Ellipsoid];
  bowel: { e: Ellipsoid; gas: boolean }[];
  /** Sternum extent (depth below apex) and sizes. */
  sternum: {
    top: number;
    bottom: number;
    manubriumA: number;
    bodyA: number;
    b: number;
  };
  scapula: { top: number; bottom: number; r: number };
  thyroid: { top: number; bottom: number };
  neckVessels: { carotidR: number; jugularR: number; bottom: number };
  esophagusAir: boolean;
  diaphragmMm: number;
  table: Float32Array;
}

function buildStructures(rng: Rng, plan: ScanPlan): Structures {
  const u = (lo: number, hi: number) => rng.uniform(lo, hi);
  const anatomy = plan.anatomy;
  const p = anatomy.p;
  const t = plan.tissue;
  const cx = p.cx, cy = p.cy;
  const L = new Level();
  const at = (h: number) => anatomy.level(p.zApex - h, L);
  const world = (
    uu: number,
    v: number,
    h: number,
  ): [number, number, number] => [cx + uu, cy + v, p.zApex - h];
  const pre = new TubeSet(512);
  const zTop = plan.z0 + (plan.nz - 1) * plan.sz;
  const hTop = p.zApex - zTop - 5;
  const hBottom = p.zApex - plan.z0 + 5;

  // Ribs: twelve pairs, from beside the spine around the cavity wall,
  // sloping down towards the front; costal cartilage at the front ends.
  const ribR = u(3.8, 4.8);
  const ribWall = u(1.2, 1.7);
  const rib1H = u(-4, 6);
  const drops = [28, 48, 62, 72, 80, 84, 86, 82, 72, 56, 32, 16];
  const ends = [150, 160, 165, 168, 168, 166, 160, 148, 140, 130, 100, 75];
  const cartilageFrom = [
    140,
    148,
    150,
    150,
    150,
    148,
    140,
    128,
    120,
    115,
    999,
    999,
  ];
  const dropScale = u(0.85, 1.15);
  for (let i = 0; i < 12; i++) {
    const hPost = rib1H + i * p.spinePitchMm;
    const r = ribR * (i === 0 || i >= 10 ? 0.85 : 1);
    for (const s of [-1, 1]) {
      const points: [number, number, number, boolean][] = [];
      const steps = 14;
      const level0 = at(hPost);
      const phi0 = Math.asin(
        clamp((level0.spineA + 8) / (level0.cavA + r + 2), 0, 0.9),
      );
      const phiEnd = ends[i] * Math.PI / 180;
      for (let j = 0; j <= steps; j++) {
        const f = j / steps;
        const phi = phi0 + (phiEnd - phi0) * f;
        const h = hPost + drops[i] * dropScale * f ** 1.25;
        const lv = at(h);
        const ra = lv.cavA + r + 1.5, rb = lv.cavB + r + 1.5;
        points.push([
          s * ra * Math.sin(phi),
          lv.cavV + rb * Math.cos(phi),
          h,
          phi * 180 / Math.PI >= cartilageFrom[i],
        ]);
      }
      for (let j = 0; j < steps; j++) {
        const [ua, va, ha] = points[j];
        const [ub, vb, hb, cartilage] = points[j + 1];
        if (Math.min(ha, hb) > hBottom || Math.max(ha, hb) < hTop - 20) {
          continue;
        }
        const a = world(ua, va, ha);
        const b = world(ub, vb, hb);
        if (cartilage) {
          pre.add(...a, ...b, r * 0.85, r * 0.85, t.cartilage);
        } else {
          pre.add(...a, ...b, r, r, t.cortical, ribWall, t.cancellous);
        }
      }
    }
  }

  // Clavicles: from the top of the sternum out to the shoulders.
  const sternumTop = rib1H + u(1.3, 1.7) * p.spinePitchMm;
  const claviR = u(5, 6.5);
  for (const s of [-1, 1]) {
    const top = at(sternumTop - 4);
    const front = top.bodyV - top.bodyB + top.fat + claviR + 3;
    const pts = [
      world(s * 14, front, sternumTop - 4),
      world(s * 0.45 * p.bodyA, front + 6, -6),
      world(s * (p.bodyA - 22), -0.05 * p.bodyB, -u(12, 22)),
    ];
    for (let j = 0; j < pts.length - 1; j++) {
      pre.add(
        ...pts[j],
        ...pts[j + 1],
        claviR,
        claviR,
        t.cortical,
        1.8,
        t.cancellous,
      );
    }
  }

  // Great vessels: ascending aorta, arch and descending aorta; pulmonary
  // trunk; superior vena cava. The lungs wrap around them.
  const heart = p.heart;
  const heartTop = heart.h - heart.c;
  const archLevel = { ...at(p.archH) };
  const aortaAsc = p.aortaR * u(1.2, 1.35);
  const ascU = u(0, 8);
  const aortaPts: [number, number, number, number][] = [
    [heart.u - 12, heart.v - 0.1 * heart.b, heartTop + 18, aortaAsc],
    [ascU, archLevel.tracheaV - aortaAsc - 14, p.archH + 12, aortaAsc],
    [ascU + 6, archLevel.tracheaV - 12, p.archH, p.aortaR * 1.12],
  ];
  for (let h = p.archH + 10; h < hBottom + 20; h += 18) {
    const lv = at(h);
    aortaPts.push([lv.aortaU, lv.aortaV, h, lv.aortaR]);
  }
  const obstacles: {
    a: [number, number, number];
    b: [number, number, number];
    r: number;
  }[] = [];
  const vessel = (
    a: [number, number, number],
    b: [number, number, number],
    ra: number,
    rb: number,
  ) => {
    pre.add(...a, ...b, ra, rb, t.blood);
    obstacles.push({ a, b, r: Math.max(ra, rb) });
  };
  for (let j = 0; j < aortaPts.length - 1; j++) {
    const [ua, va, ha, ra] = aortaPts[j];
    const [ub, vb, hb, rb] = aortaPts[j + 1];
    if (Math.min(ha, hb) > hBottom || Math.max(ha, hb) < hTop - 30) continue;
    vessel(world(ua, va, ha), world(ub, vb, hb), ra, rb);
  }
  const carinaLevel = { ...at(p.carinaH) };
  const bifurcation = world(5, carinaLevel.tracheaV - 10, p.carinaH + 10);
  const trunkR = u(11, 14);
  vessel(
    world(heart.u + 0.25 * heart.a, heart.v - 0.55 * heart.b, heartTop + 14),
    bifurcation,
    trunkR,
    trunkR * 0.9,
  );
  const svcR = u(8, 10);
  const svcU = ascU - aortaAsc - svcR - u(2, 5);
  vessel(
    world(svcU, archLevel.tracheaV - 14, Math.max(8, hTop)),
    world(svcU, archLevel.tracheaV - 10, heartTop + 16),
    svcR,
    svcR,
  );
  anatomy.setObstacles(obstacles);

  // Airways: trachea down to the carina, main bronchi to the hila.
  const airway = new TubeSet(16);
  const rT = p.tracheaR + p.tracheaWallMm;
  const tracheaPts: [number, number, number][] = [];
  for (const h of [Math.min(hTop, -60), -30, 0, p.carinaH * 0.5]) {
    if (h < p.carinaH) {
      const lv = at(h);
      tracheaPts.push([lv.tracheaU, lv.tracheaV, h]);
    }
  }
  tracheaPts.push([p.tracheaU, carinaLevel.tracheaV, p.carinaH]);
  for (let j = 0; j < tracheaPts.length - 1; j++) {
    airway.add(
      ...world(...tracheaPts[j]),
      ...world(...tracheaPts[j + 1]),
      rT,
      rT,
      t.airwayWall,
      p.tracheaWallMm,
      t.air,
    );
  }
  const carina = world(p.tracheaU, carinaLevel.tracheaV, p.carinaH);
  const hilumRight = findHilum(anatomy, 0, p.carinaH + u(16, 22), 6);
  const hilumLeft = findHilum(anatomy, 1, p.carinaH + u(28, 36), 6);
  const rRmb = p.tracheaR * u(0.72, 0.8), rLmb = p.tracheaR * u(0.64, 0.72);
  const wallB = p.tracheaWallMm * 0.85;
  airway.add(
    ...carina,
    ...hilumRight,
    rRmb + wallB,
    rRmb + wallB,
    t.airwayWall,
    wallB,
    t.air,
  );
  airway.add(
    ...carina,
    ...hilumLeft,
    rLmb + wallB,
    rLmb + wallB,
    t.airwayWall,
    wallB,
    t.air,
  );

  // Intrapulmonary bronchi from the ends of the main bronchi.
  const bronchi = new TubeSet(256);
  for (
    const [side, hilum, r] of [[0, hilumRight, rRmb], [
      1,
      hilumLeft,
      rLmb,
    ]] as const
  ) {
    const dir = [
      hilum[0] - carina[0],
      hilum[1] - carina[1],
      hilum[2] - carina[2],
    ];
    const n = Math.hypot(dir[0], dir[1], dir[2]);
    growTree(anatomy, rng, {
      side,
      branches: lobarBranches(side),
      from: hilum,
      to: [
        hilum[0] + dir[0] / n * 4,
        hilum[1] + dir[1] / n * 4,
        hilum[2] + dir[2] / n * 4,
      ],
      rootRadius: [r, r * 0.9],
      minRadius: 1.4,
      lengthFactor: [3, 5],
      maxSegments: 90,
      maxGeneration: 6,
      hu: t.airwayWall - 20,
      wallFraction: 0.22,
      lumenHu: t.air,
    }, bronchi);
  }

  // Pulmonary arteries (from the trunk's bifurcation) and veins (from the
  // back of the heart), one tree per root.
  const vessels = new TubeSet(8192);
  const branchPoints: BranchPoint[] = [];
  const vesselSpec = {
    // Vessels far thinner than a pixel are invisible: stop there.
    minRadius: Math.max(u(0.35, 0.45), 0.3 * plan.sxy),
    lengthFactor: [3, 6] as const,
    maxSegments: 5000,
    maxGeneration: 16,
    hu: t.blood,
  };
  const paR = u(7, 9);
  for (const side of [0, 1] as const) {
    // One crowding grid per lung, shared by its arteries and veins.
    const sgn = side === 0 ? -1 : 1;
    const occupancy = new Occupancy(
      [
        cx + Math.min(0, sgn * p.bodyA),
        cy - p.bodyB,
        p.zApex - Math.max(...p.domeH) - 120,
      ],
      [cx + Math.max(0, sgn * p.bodyA), cy + p.bodyB, p.zApex + 5],
      u(5.5, 7),
    );
    const hilum = findHilum(
      anatomy,
      side,
      p.carinaH + (side === 0 ? u(14, 20) : u(8, 14)),
      -8,
    );
    branchPoints.push(...growTree(anatomy, rng, {
      ...vesselSpec,
      occupancy,
      side,
      branches: lobarBranches(side),
      from: bifurcation,
      to: hilum,
      rootRadius: [paR, paR * 0.8],
    }, vessels));
    for (
      const [depth, up] of [[u(30, 40), true], [u(55, 70), false]] as const
    ) {
      const h = p.carinaH + depth;
      const to = findHilum(anatomy, side, h, 14);
      const s = side === 0 ? -1 : 1;
      const from = world(
        heart.u + s * 0.35 * heart.a,
        heart.v + 0.55 * heart.b,
        Math.max(h, heartTop + 8),
      );
      const veinR = u(5, 6.5);
      const w = (uu: number, v: number, h: number) => [uu * s, v, -h] as const;
      branchPoints.push(...growTree(anatomy, rng, {
        ...vesselSpec,
        occupancy,
        maxSegments: 3000,
        branches: up
          ? [{ direction: w(0.6, -0.2, -0.8), share: 0.6 }, {
            direction: w(0.9, 0.1, 0.1),
            share: 0.4,
          }]
          : [{ direction: w(0.6, 0.2, 0.8), share: 0.6 }, {
            direction: w(0.9, -0.3, 0.1),
            share: 0.4,
          }],
        side,
        from,
        to,
        rootRadius: [veinR, veinR * 0.85],
      }, vessels));
    }
  }

  // Abdominal organs, sized from the cavity at the right dome.
  const dome = { ...at(p.domeH[0]) };
  const ca = dome.cavA, cb = dome.cavB, cv = dome.cavV;
  const liver: Ellipsoid = {
    u: -0.3 * ca,
    v: cv - 0.02 * cb,
    h: p.domeH[0] + u(60, 80),
    a: u(0.74, 0.82) * ca,
    b: u(0.9, 1.0) * cb,
    c: u(80, 95),
    angle: u(-0.15, 0.15),
  };
  const spleen: Ellipsoid = {
    u: 0.66 * ca,
    v: cv + 0.45 * cb,
    h: p.domeH[1] + u(40, 55),
    a: u(0.18, 0.24) * ca,
    b: u(0.32, 0.4) * cb,
    c: u(40, 55),
    angle: u(0.5, 0.9),
  };
  const stomach: Ellipsoid = {
    u: 0.36 * ca,
    v: cv - 0.25 * cb,
    h: p.domeH[1] + u(45, 60),
    a: u(0.26, 0.34) * ca,
    b: u(0.3, 0.4) * cb,
    c: u(45, 60),
    angle: u(-0.4, 0.1),
  };
  const stomachAirV = rng.next() < 0.6
    ? stomach.v - stomach.b * u(0.2, 0.8)
    : -Infinity;
  const kidneys: [Ellipsoid, Ellipsoid] = [-1, 1].map((s) => ({
    u: s * (p.spineR + u(38, 46)),
    v: dome.spineV - u(2, 10),
    h: p.domeH[0] + u(95, 120) + (s > 0 ? -10 : 0),
    a: u(22, 28),
    b: u(26, 32),
    c: u(48, 58),
    angle: s * u(0.3, 0.6),
  })) as [Ellipsoid, Ellipsoid];
  const bowel: { e: Ellipsoid; gas: boolean }[] = [];
  for (let i = 0; i < 10; i++) {
    bowel.push({
      e: {
        u: u(-0.6, 0.6) * ca,
        v: cv + u(-0.75, 0.1) * cb,
        h: p.domeH[0] + u(75, 210),
        a: u(12, 26),
        b: u(10, 22),
        c: u(14, 30),
        angle: u(0, Math.PI),
      },
      gas: rng.next() < 0.4,
    });
  }

  for (const set of [pre, vessels, bronchi, airway]) {
    set.index(plan.nz, plan.z0, plan.sz, indexMargin(plan));
  }
  return {
    pre,
    vessels,
    bronchi,
    airway,
    branchPoints,
    liver,
    spleen,
    stomach,
    stomachAirV,
    kidneys,
    bowel,
    sternum: {
      top: sternumTop,
      bottom: p.domeH[0] - u(0, 15),
      manubriumA: u(20, 26),
      bodyA: u(12, 16),
      b: u(5, 7),
    },
    scapula: {
      top: u(-14, -6),
      bottom: u(0.5, 0.6) * p.domeH[0],
      r: u(1.8, 2.6),
    },
    thyroid: { top: -u(55, 70), bottom: -u(10, 20) },
    neckVessels: {
      carotidR: u(3.5, 4.5),
      jugularR: u(5, 7),
      bottom: u(18, 30),
    },
    esophagusAir: rng.next() < 0.5,
    diaphragmMm: u(3, 6),
    table: buildTable(rng, plan),
  };
}

/**
 * Lobar directions (world x, y, z) and flow shares of the first split of a
 * lung's arterial and bronchial trees: upper lobe (up), middle lobe or
 * lingula (forwards, down), lower lobe (back, down).
 */
function lobarBranches(side: 0 | 1): {
  direction: [number, number, number];
  share: number;
}[] {
  const s = side === 0 ? -1 : 1;
  return [
    { direction: [0.5 * s, 0.1, 1], share: 0.35 },
    { direction: [0.6 * s, -0.6, -0.5], share: 0.15 },
    { direction: [0.5 * s, 0.35, -1], share: 0.5 },
  ];
}

/**
 * A point just inside the medial boundary of a lung at depth h, found by
 * walking outwards from the mediastinum; `dv` shifts it forwards (−) or
 * backwards (+) from the trachea.
 */
function findHilum(
  anatomy: Anatomy,
  side: 0 | 1,
  h: number,
  dv: number,
): [number, number, number] {
  const p = anatomy.p;
  const z = p.zApex - h;
  const level = anatomy.level(z);
  const s = side === 0 ? -1 : 1;
  const v = level.tracheaV + dv;
  for (let step = 0; step < 200; step++) {
    const uu = p.bandU + s * step;
    const d = anatomy.lungDistance(level, side, uu, v, 1, 0, 0, 1);
    if (d < -4) return [p.cx + uu, p.cy + v, z];
  }
  return [p.cx + s * level.lungU, p.cy + level.lungV, z];
}

/** The patient table (air around it), painted once and copied into every slice. */
function buildTable(rng: Rng, plan: ScanPlan): Float32Array {
  const { nx, ny, sxy, x0, y0 } = plan;
  const t = plan.tissue;
  const p = plan.anatomy.p;
  const base = new Float32Array(nx * ny).fill(t.air);
  const top = p.cy + p.bodyB * p.backFlat + rng.uniform(0.5, 3);
  const curvature = rng.uniform(0.8e-4, 2.2e-4);
  const shell = rng.uniform(1.5, 2.5);
  const thickness = rng.uniform(28, 45);
  const halfWidth = rng.uniform(200, 250);
  const tableX = p.cx + rng.uniform(-8, 8);
  const inv = 1 / sxy;
  for (let iy = 0; iy < ny; iy++) {
    const y = y0 + iy * sxy;
    for (let ix = 0; ix < nx; ix++) {
      const uu = x0 + ix * sxy - tableX;
      const depth = y - (top - curvature * uu * uu);
      if (depth < -sxy || depth > thickness + sxy) continue;
      const side = ramp((Math.abs(uu) - halfWidth) * inv);
      const slab = ramp(-depth * inv) * ramp((depth - thickness) * inv) * side;
      const core = ramp((shell - depth) * inv) *
        ramp((depth - (thickness - shell)) * inv) * side;
      const i = iy * nx + ix;
      base[i] += (t.tableShell - base[i]) * slab;
      base[i] += (t.tableCore - base[i]) * core;
    }
  }
  return base;
}

// ---------------------------------------------------------------------------
// Findings: nodules and excluded marks.

interface Findings {
  nodules: SyntheticNodule[];
  excluded: SyntheticFinding[];
  blobs: { blob: BlobShape; clipToLung: boolean }[];
}

function placeFindings(
  rng: Rng,
  plan: ScanPlan,
  structures: Structures,
  options: SyntheticScanOptions,
): Findings {
  const anatomy = plan.anatomy;
  const p = anatomy.p;
  let count: number;
  if (options.noduleCount !== undefined) {
    count = options.noduleCount;
  } else {
    const r = rng.next();
    count = r < 0.25 ? 0 : r < 0.6 ? 1 : r < 0.85 ? 2 : 3;
  }
  const nodules: SyntheticNodule[] = [];
  const excluded: SyntheticFinding[] = [];
  const blobs: Findings["blobs"] = [];
  const taken: { x: number; y: number; z: number; r: number }[] = [];
  const zLo = plan.z0, zHi = plan.z0 + (plan.nz - 1) * plan.sz;
  const grid = {
    spacingMm: [plan.sz, plan.sxy, plan.sxy] as Zyx,
    originMm: [plan.z0, plan.y0, plan.x0] as Zyx,
    direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] as Matrix3,
  };
  // The voxel a reader would look at for the centre must be lung.
  const centreVoxelIsLung = (side: 0 | 1, x: number, y: number, z: number) => {
    const [vz, vy, vx] = worldToVoxel(grid, [z, y, x]);
    const kz = Math.round(vz), ky = Math.round(vy), kx = Math.round(vx);
    if (
      kz < 0 || kz >= plan.nz || ky < 0 || ky >= plan.ny || kx < 0 ||
      kx >= plan.nx
    ) return false;
    return anatomy.lungDistanceAt(
      side,
      plan.x0 + kx * plan.sxy,
      plan.y0 + ky * plan.sxy,
      plan.z0 + kz * plan.sz,
    ) < 0;
  };
  const clearOfOthers = (x: number, y: number, z: number, r: number) =>
    taken.every((o) => Math.hypot(o.x - x, o.y - y, o.z - z) > o.r + r + 3) &&
    airwayClearance(structures.airway, x, y, z) > r + 4;
  const randomLungPoint = (side: 0 | 1, margin: number) => {
    for (let attempt = 0; attempt < 400; attempt++) {
      // Upper zones are favoured, as in screening cohorts.
      const f = rng.next() ** 1.25;
      const z = p.zApex - 8 - f * (p.zApex - 8 - plan.lungBottomZ);
      if (z < zLo + margin || z > zHi - margin) continue;
      const level = anatomy.level(z);
      const uu = rng.uniform(-level.cavA, level.cavA);
      const v = rng.uniform(level.cavV - level.cavB, level.cavV + level.cavB);
      if (
        anatomy.lungDistance(level, side, uu, v, 1, 0, 0, 1) < -margin
      ) return [p.cx + uu, p.cy + v, z] as const;
    }
    return null;
  };
  const fullyInside = (side: 0 | 1, blob: BlobShape, extra: number) => {
    const reach = blobReach(blob) + extra;
    for (const [dx, dy, dz] of NEIGHBOUR_DIRECTIONS) {
      if (
        anatomy.lungDistanceAt(
          side,
          blob.x + dx * reach,
          blob.y + dy * reach,
          blob.z + dz * reach,
        ) >= 0
      ) return false;
    }
    return true;
  };

  for (let n = 0; n < count; n++) {
    const pick = rng.next();
    const type: SyntheticNoduleType = pick < 0.25
      ? "juxtapleural"
      : pick < 0.4
      ? "ground_glass"
      : "solid";
    const diameter = sampleNoduleDiameterMm(rng);
    const r = diameter / 2;
    const hu = type === "ground_glass"
      ? rng.uniform(-520, -300)
      : rng.uniform(30, 100);
    for (let attempt = 0; attempt < 300; attempt++) {
      const side: 0 | 1 = rng.next() < 0.55 ? 0 : 1;
      const lobes = drawLobes(
        rng,
        type === "ground_glass"
          ? [0.02, 0.05]
          : type === "juxtapleural"
          ? [0.03, 0.06]
          : [0.03, 0.08],
      );
      let centre: readonly [number, number, number] | null;
      if (type === "juxtapleural") {
        centre = juxtapleuralCentre(rng, anatomy, side, r, randomLungPoint);
      } else {
        centre = randomLungPoint(side, r + 1.5);
      }
      if (!centre) continue;
      const [x, y, z] = centre;
      if (z - r < zLo || z + r > zHi) continue;
      const blob: BlobShape = {
        x,
        y,
        z,
        r,
        hu,
        lobes,
        marginMm: type === "ground_glass" ? 0.25 * r + 0.5 : 0,
      };
      if (type !== "juxtapleural" && !fullyInside(side, blob, 1)) continue;
      if (!centreVoxelIsLung(side, x, y, z) || !clearOfOthers(x, y, z, r)) {
        continue;
      }
      taken.push({ x, y, z, r: blobReach(blob) });
      blobs.push({ blob, clipToLung: type === "juxtapleural" });
      nodules.push({
        worldMm: [z, y, x],
        diameterMm: diameter,
        type,
        hu,
        lung: side === 0 ? "right" : "left",
      });
      if (type === "solid" && diameter >= 10 && rng.next() < 0.4) {
        addSpicules(rng, anatomy, side, blob, structures.vessels, plan);
      }
      break;
    }
  }

  // Excluded findings: tiny nodules (< 3 mm, drawn in the image) and marks
  // without size on vessel bifurcations (what readers flagged and rejected).
  const tiny = rng.int(3);
  for (let n = 0; n < tiny; n++) {
    const diameter = rng.uniform(1.5, 2.9);
    for (let attempt = 0; attempt < 100; attempt++) {
      const side: 0 | 1 = rng.next() < 0.5 ? 0 : 1;
      const c = randomLungPoint(side, diameter / 2 + 2);
      if (!c) continue;
      const [x, y, z] = c;
      if (!clearOfOthers(x, y, z, diameter / 2)) continue;
      const blob: BlobShape = {
        x,
        y,
        z,
        r: diameter / 2,
        hu: rng.uniform(30, 90),
        lobes: new Float64Array(0),
        marginMm: 0,
      };
      taken.push({ x, y, z, r: diameter / 2 });
      blobs.push({ blob, clipToLung: false });
      excluded.push({
        worldMm: [z, y, x],
        diameterMm: diameter,
        kind: "tiny_nodule",
      });
      break;
    }
  }
  const marks = rng.int(5);
  const candidates = structures.branchPoints.filter((b) =>
    b.r >= 0.8 && b.r <= 2.5 && b.z > zLo && b.z < zHi
  );
  for (let n = 0; n < marks && candidates.length > 0; n++) {
    const b = candidates[rng.int(candidates.length)];
    excluded.push({
      worldMm: [b.z, b.y, b.x],
      diameterMm: -1,
      kind: "non_nodule",
    });
  }
  return { nodules, excluded, blobs };
}

function drawLobes(rng: Rng, amp: readonly [number, number]): Float64Array {
  const count = 2 + rng.int(3);
  const lobes = new Float64Array(count * 4);
  for (let k = 0; k < count; k++) {
    let x = rng.normal(), y = rng.normal(), z = rng.normal();
    const n = Math.hypot(x, y, z) || 1;
    x /= n;
    y /= n;
    z /= n;
    lobes.set([
      x,
      y,
      z,
      rng.uniform(amp[0], amp[1]) * (rng.next() < 0.5 ? -1 : 1),
    ], k * 4);
  }
  return lobes;
}

/**
 * A centre for a juxtapleural nodule: walk from a point inside the lung
 * towards the chest wall, find the pleura, and step back inside by a
 * fraction of the radius so the nodule touches the wall.
 */
function juxtapleuralCentre(
  rng: Rng,
  anatomy: Anatomy,
  side: 0 | 1,
  r: number,
  randomLungPoint: (
    side: 0 | 1,
    margin: number,
  ) => readonly [number, number, number] | null,
): readonly [number, number, number] | null {
  const start = randomLungPoint(side, 3);
  if (!start) return null;
  const p = anatomy.p;
  // Mostly in-plane directions, away from the mediastinum.
  const angle = rng.uniform(-0.5 * Math.PI, 0.5 * Math.PI) +
    (side === 0 ? Math.PI : 0) + rng.uniform(-0.6, 0.6);
  let dx = Math.cos(angle), dy = Math.sin(angle), dz = rng.normal() * 0.15;
  const n = Math.hypot(dx, dy, dz);
  dx /= n;
  dy /= n;
  dz /= n;
  const dist = (t: number) =>
    anatomy.lungDistanceAt(
      side,
      start[0] + dx * t,
      start[1] + dy * t,
      start[2] + dz * t,
    );
  let tIn = 0, tOut = -1;
  for (let t = 1; t < 300; t += 1) {
    if (dist(t) >= 0) {
      tOut = t;
      break;
    }
    tIn = t;
  }
  if (tOut < 0) return null;
  for (let i = 0; i < 20; i++) {
    const mid = (tIn + tOut) / 2;
    if (dist(mid) < 0) tIn = mid;
    else tOut = mid;
  }
  const bx = start[0] + dx * tIn,
    by = start[1] + dy * tIn,
    bz = start[2] + dz * tIn;
  // Only the costal pleura (the cavity wall) counts as chest wall.
  const level = anatomy.level(bz);
  const wall = ellipseSd(
    bx - p.cx,
    by - p.cy - level.cavV,
    level.cavA,
    level.cavB,
  );
  if (Math.abs(wall) > 1.5) return null;
  // Step back along the inward normal (numerical gradient).
  const g = 1;
  const gx = anatomy.lungDistanceAt(side, bx + g, by, bz) -
    anatomy.lungDistanceAt(side, bx - g, by, bz);
  const gy = anatomy.lungDistanceAt(side, bx, by + g, bz) -
    anatomy.lungDistanceAt(side, bx, by - g, bz);
  const gz = anatomy.lungDistanceAt(side, bx, by, bz + g) -
    anatomy.lungDistanceAt(side, bx, by, bz - g);
  const gn = Math.hypot(gx, gy, gz);
  if (!(gn > 0)) return null;
  const depth = Math.max(0.6, rng.uniform(0.3, 0.7) * r);
  const cx = bx - gx / gn * depth,
    cy = by - gy / gn * depth,
    cz = bz - gz / gn * depth;
  return anatomy.lungDistanceAt(side, cx, cy, cz) < 0 ? [cx, cy, cz] : null;
}

function addSpicules(
  rng: Rng,
  anatomy: Anatomy,
  side: 0 | 1,
  blob: BlobShape,
  tubes: TubeSet,
  plan: ScanPlan,
): void {
  const count = 3 + rng.int(6);
  for (let k = 0; k < count; k++) {
    let x = rng.normal(), y = rng.normal(), z = rng.normal();
    const n = Math.hypot(x, y, z) || 1;
    x /= n;
    y /= n;
    z /= n;
    const a = blob.r * 0.8, b = blob.r * rng.uniform(1.5, 2.2);
    const ex = blob.x + x * b, ey = blob.y + y * b, ez = blob.z + z * b;
    if (anatomy.lungDistanceAt(side, ex, ey, ez) > -1) continue;
    if (ez < plan.z0 || ez > plan.z0 + (plan.nz - 1) * plan.sz) continue;
    tubes.add(
      blob.x + x * a,
      blob.y + y * a,
      blob.z + z * a,
      ex,
      ey,
      ez,
      rng.uniform(0.5, 0.8),
      0.2,
      blob.hu,
    );
  }
  tubes.index(plan.nz, plan.z0, plan.sz, indexMargin(plan));
}

/** Distance from a point to the nearest airway tube's surface (mm). */
function airwayClearance(
  airway: TubeSet,
  x: number,
  y: number,
  z: number,
): number {
  let best = Infinity;
  for (let i = 0; i < airway.size; i++) {
    const [ax, ay, az, bx, by, bz, ra, rb] = airway.get(i);
    const dx = bx - ax, dy = by - ay, dz = bz - az;
    const len2 = dx * dx + dy * dy + dz * dz || 1;
    const t = clamp(
      ((x - ax) * dx + (y - ay) * dy + (z - az) * dz) / len2,
      0,
      1,
    );
    const d = Math.hypot(x - ax - t * dx, y - ay - t * dy, z - az - t * dz) -
      (ra + t * (rb - ra));
    if (d < best) best = d;
  }
  return best;
}

// ---------------------------------------------------------------------------
// Rendering.

function render(
  plan: ScanPlan,
  st: Structures,
  blobs: Findings["blobs"],
  noise: SliceNoise,
): { data: Int16Array; mask: Uint8Array } {
  const { nx, ny, nz, sxy, sz } = plan;
  const n = nx * ny;
  const data = new Int16Array(n * nz);
  const mask = new Uint8Array(n * nz);
  const canvas = createCanvas({
    nx,
    ny,
    sx: sxy,
    sy: sxy,
    sz,
    x0: plan.x0,
    y0: plan.y0,
  });
  const level = new Level();
  const anatomy = plan.anatomy;
  const pad = plan.flags.fovPaddingHu;
  // Pixels inside the reconstruction circle, per row.
  const fovLo = new Int32Array(ny), fovHi = new Int32Array(ny);
  const radius = plan.fovMm / 2;
  const c = (nx - 1) / 2;
  for (let iy = 0; iy < ny; iy++) {
    const dy = (iy - c) * sxy;
    const half = radius * radius - dy * dy;
    if (half < 0) {
      fovLo[iy] = 1;
      fovHi[iy] = 0;
      continue;
    }
    const w = Math.sqrt(half) / sxy;
    fovLo[iy] = Math.max(0, Math.ceil(c - w));
    fovHi[iy] = Math.min(nx - 1, Math.floor(c + w));
  }
  for (let k = 0; k < nz; k++) {
    const z = plan.z0 + k * sz;
    canvas.z = z;
    anatomy.level(z, level);
    const maskSlice = mask.subarray(k * n, (k + 1) * n);
    canvas.hu.set(st.table);
    paintLevel(canvas, plan, st, level);
    st.pre.paint(canvas, k);
    paintLungs(canvas, plan, level, maskSlice);
    st.vessels.paint(canvas, k);
    st.bronchi.paint(canvas, k);
    for (const { blob, clipToLung } of blobs) {
      if (Math.abs(blob.z - z) > blobReach(blob) + sz + blob.marginMm) continue;
      paintBlobClipped(canvas, blob, clipToLung ? CLIP_INSIDE : CLIP_NONE);
    }
    st.airway.paint(canvas, k, maskSlice);
    noise.addTo(canvas.hu, nx, ny);
    // Quantise to int16 HU, clip to the scanner's range, pad outside the
    // field of view.
    const buf = canvas.hu;
    const off = k * n;
    for (let iy = 0; iy < ny; iy++) {
      const row = iy * nx;
      let lo = 0, hi = nx - 1;
      if (pad !== null) {
        lo = fovLo[iy];
        hi = fovHi[iy];
        if (lo > hi) {
          data.fill(pad, off + row, off + row + nx);
          maskSlice.fill(0, row, row + nx);
          continue;
        }
        data.fill(pad, off + row, off + row + lo);
        data.fill(pad, off + row + hi + 1, off + row + nx);
        maskSlice.fill(0, row, row + lo);
        maskSlice.fill(0, row + hi + 1, row + nx);
      }
      for (let i = row + lo, end = row + hi; i <= end; i++) {
        let value = buf[i];
        value = value < -1024 ? -1024 : value > 3071 ? 3071 : value;
        // Round half up; the offset keeps the truncation a floor.
        data[off + i] = ((value + 32768.5) | 0) - 32768;
      }
    }
  }
  return { data, mask };
}

function paintBlobClipped(
  canvas: Canvas,
  blob: BlobShape,
  clip: ClipMode,
): void {
  if (clip === CLIP_NONE) {
    paintBlob(canvas, blob);
    return;
  }
  // Juxtapleural nodules: keep only the part inside the lung (the clip
  // buffer holds the lung coverage), so the nodule abuts the pleura.
  const { nx, ny, sx, sy, sz, x0, y0, z } = canvas;
  const reach = blobReach(blob) + 2 * Math.max(sx, sz);
  if (Math.abs(z - blob.z) > reach) return;
  const ixLo = Math.max(0, Math.floor((blob.x - reach - x0) / sx));
  const ixHi = Math.min(nx - 1, Math.ceil((blob.x + reach - x0) / sx));
  const iyLo = Math.max(0, Math.floor((blob.y - reach - y0) / sy));
  const iyHi = Math.min(ny - 1, Math.ceil((blob.y + reach - y0) / sy));
  if (ixLo > ixHi || iyLo > iyHi) return;
  const w = ixHi - ixLo + 1;
  const saved = new Float32Array(w * (iyHi - iyLo + 1));
  const buf = canvas.hu, clipBuf = canvas.clip;
  for (let iy = iyLo; iy <= iyHi; iy++) {
    saved.set(
      buf.subarray(iy * nx + ixLo, iy * nx + ixHi + 1),
      (iy - iyLo) * w,
    );
  }
  paintBlob(canvas, blob);
  for (let iy = iyLo; iy <= iyHi; iy++) {
    for (let ix = ixLo; ix <= ixHi; ix++) {
      const i = iy * nx + ix;
      const before = saved[(iy - iyLo) * w + ix - ixLo];
      buf[i] = before + (buf[i] - before) * clipBuf[i];
    }
  }
}

function section(e: Ellipsoid, h: number): number {
  const t = (h - e.h) / e.c;
  return t > -1 && t < 1 ? Math.sqrt(1 - t * t) : 0;
}

/** Paints the level's 2D anatomy (everything but tubes, lungs and nodules). */
function paintLevel(
  canvas: Canvas,
  plan: ScanPlan,
  st: Structures,
  L: Level,
): void {
  const anatomy = plan.anatomy;
  const p = anatomy.p;
  const t = plan.tissue;
  const cx = p.cx, cy = p.cy;
  const h = L.h;
  const z = L.z;
  // Body: fat, then muscle inside it; the back lies flat on the table.
  paintEllipse(
    canvas,
    cx,
    cy + L.bodyV,
    L.bodyA,
    L.bodyB,
    0,
    t.fat,
    CLIP_NONE,
    cy + L.backV,
  );
  paintEllipse(
    canvas,
    cx,
    cy + L.bodyV,
    L.bodyA - L.fat,
    L.bodyB - L.fat,
    0,
    t.muscle,
    CLIP_NONE,
    cy + L.backV - L.fat,
  );
  let thorax = false, abdomenPart = false;
  if (L.hasCavity) {
    // Where is this slice relative to the diaphragm?
    const domeTop = p.zApex - Math.min(p.domeH[0], p.domeH[1]);
    let lowest = Infinity;
    for (const du of [-L.cavA, 0, L.cavA]) {
      for (const dv of [L.cavV - L.cavB, L.cavV + L.cavB]) {
        lowest = Math.min(
          lowest,
          Math.max(
            anatomy.diaphragmZ(0, du, dv),
            anatomy.diaphragmZ(1, du, dv),
          ),
        );
      }
    }
    const margin = 2 * canvas.sz + 2;
    thorax = z > lowest - margin;
    abdomenPart = z < domeTop + margin;
    if (abdomenPart) {
      paintAbdomen(canvas, plan, st, L, thorax);
    }
    if (thorax) {
      paintThorax(canvas, plan, L, abdomenPart ? CLIP_OUTSIDE : CLIP_NONE);
    }
  }
  // Spine: vertebral bodies with discs, the canal and posterior elements.
  const phase = (((z + p.spinePhaseMm) % p.spinePitchMm) +
    p.spinePitchMm) % p.spinePitchMm;
  const sv = cy + L.spineV;
  if (phase < p.discMm) {
    paintEllipse(canvas, cx, sv, L.spineA, L.spineB, 0, t.disc);
  } else {
    paintEllipse(canvas, cx, sv, L.spineA, L.spineB, 0, t.cortical);
    paintEllipse(
      canvas,
      cx,
      sv,
      L.spineA - 1.6,
      L.spineB - 1.6,
      0,
      t.cancellous,
    );
  }
  const canalR = L.spineB * 0.55;
  const canalV = sv + L.spineB + canalR + 1.5;
  const f = phase / p.spinePitchMm;
  paintEllipse(
    canvas,
    cx,
    canalV,
    canalR + 3.5,
    canalR + 3,
    0,
    (t.cortical + t.cancellous) / 2,
  );
  paintEllipse(canvas, cx, canalV, canalR, canalR * 0.9, 0, t.cord);
  if (f > 0.15 && f < 0.7) {
    const end = Math.min(canalV + canalR + 32, cy + L.backV - L.fat - 6);
    paintSegment(
      canvas,
      cx,
      canalV + canalR + 2,
      cx,
      end,
      3.2,
      (t.cortical + t.cancellous) / 2,
    );
  }
  if (f > 0.35 && f < 0.85) {
    for (const s of [-1, 1]) {
      paintSegment(
        canvas,
        cx + s * (canalR + 3),
        canalV - 1,
        cx + s * (L.spineA + 12),
        canalV + 4,
        3.4,
        (t.cortical + t.cancellous) / 2,
      );
    }
  }
  // Sternum.
  const sternum = st.sternum;
  if (h > sternum.top && h < sternum.bottom) {
    const manubrium = h < sternum.top + 45;
    const a = manubrium ? sternum.manubriumA : sternum.bodyA;
    const b = sternum.b * (manubrium ? 1.25 : 1);
    const v = cy + L.cavV - L.cavB - p.wallMm * 0.45;
    paintEllipse(canvas, cx, v, a, b, 0, t.cortical * 0.8);
    paintEllipse(canvas, cx, v, a - 1.5, b - 1.5, 0, t.cancellous);
  }
  // Scapulae: thin plates on the back of the chest wall, narrowing to the
  // inferior angle.
  const sc = st.scapula;
  if (h > sc.top && h < sc.bottom && L.hasCavity) {
    const f2 = (h - sc.top) / (sc.bottom - sc.top);
    const phiA = lerp(35, 52, f2) * Math.PI / 180;
    const phiB = lerp(100, 60, Math.sqrt(f2)) * Math.PI / 180;
    const off = 13;
    for (const s of [-1, 1]) {
      let pu = 0, pv = 0;
      for (let j = 0; j <= 4; j++) {
        const phi = phiA + (phiB - phiA) * j / 4;
        const uu = s * (L.cavA + off) * Math.sin(phi);
        const vv = L.cavV + (L.cavB + off) * Math.cos(phi);
        if (j > 0) {
          paintSegment(
            canvas,
            cx + pu,
            cy + pv,
            cx + uu,
            cy + vv,
            sc.r,
            t.cortical * 0.75,
          );
        }
        pu = uu;
        pv = vv;
      }
    }
  }
  // Neck: thyroid lobes beside the trachea, carotid arteries and jugular veins.
  if (h < st.neckVessels.bottom) {
    const th = st.thyroid;
    if (h > th.top && h < th.bottom) {
      const s2 = Math.sqrt(
        1 - ((2 * h - th.top - th.bottom) / (th.bottom - th.top)) ** 2,
      );
      for (const s of [-1, 1]) {
        paintEllipse(
          canvas,
          cx + L.tracheaU + s * (p.tracheaR + p.tracheaWallMm + 8),
          cy + L.tracheaV + 3,
          8 * s2,
          11 * s2,
          s * 0.5,
          t.thyroid,
        );
      }
    }
    const nv = st.neckVessels;
    for (const s of [-1, 1]) {
      paintEllipse(
        canvas,
        cx + L.tracheaU + s * (p.tracheaR + 20),
        cy + L.tracheaV + 9,
        nv.carotidR,
        nv.carotidR,
        0,
        t.blood,
      );
      paintEllipse(
        canvas,
        cx + L.tracheaU + s * (p.tracheaR + 31),
        cy + L.tracheaV + 5,
        nv.jugularR,
        nv.jugularR * 0.8,
        0,
        t.blood,
      );
    }
  }
  // Oesophagus (collapsed, sometimes with a little air).
  if (h < p.domeH[1] + 5) {
    paintEllipse(
      canvas,
      cx + L.esophagusU,
      cy + L.esophagusV,
      p.esophagusR,
      p.esophagusR * 0.8,
      0,
      t.muscle - 5,
    );
    if (st.esophagusAir) {
      paintEllipse(
        canvas,
        cx + L.esophagusU,
        cy + L.esophagusV,
        1.6,
        1.2,
        0,
        t.air,
      );
    }
  }
}

/**
 * The abdomen below the diaphragm: fat, liver, spleen, stomach, kidneys,
 * bowel, and the diaphragm muscle on top. In slices that also hold thorax,
 * the clip buffer is set to the abdomen's coverage.
 */
function paintAbdomen(
  canvas: Canvas,
  plan: ScanPlan,
  st: Structures,
  L: Level,
  mixed: boolean,
): void {
  const anatomy = plan.anatomy;
  const p = anatomy.p;
  const t = plan.tissue;
  const { nx, ny, sx, sy, sz, x0, y0, z } = canvas;
  const clip = canvas.clip;
  const cx = p.cx, cy = p.cy;
  clip.fill(0);
  const invW = 1 / sx;
  const m = 2 * sx;
  const iyLo = Math.max(0, Math.floor((cy + L.cavV - L.cavB - m - y0) / sy));
  const iyHi = Math.min(
    ny - 1,
    Math.ceil((cy + L.cavV + L.cavB + m - y0) / sy),
  );
  const ixLo = Math.max(0, Math.floor((cx - L.cavA - m - x0) / sx));
  const ixHi = Math.min(nx - 1, Math.ceil((cx + L.cavA + m - x0) / sx));
  const tD = st.diaphragmMm;
  const mIn = 1.5 * sx;
  for (let iy = iyLo; iy <= iyHi; iy++) {
    const v = y0 + iy * sy - cy;
    const dv = v - L.cavV;
    const outer = 1 - (dv / (L.cavB + m)) ** 2;
    if (outer <= 0) continue;
    const half = (L.cavA + m) * Math.sqrt(outer);
    const inner = 1 - (dv / (L.cavB - mIn)) ** 2;
    const halfIn = inner > 0 ? (L.cavA - mIn) * Math.sqrt(inner) : -1;
    const lo = Math.max(ixLo, Math.ceil((cx - half - x0) / sx));
    const hi = Math.min(ixHi, Math.floor((cx + half - x0) / sx));
    for (let ix = lo; ix <= hi; ix++) {
      const uu = x0 + ix * sx - cx;
      const cav = uu > -halfIn && uu < halfIn
        ? 1
        : ramp(ellipseSd(uu, dv, L.cavA, L.cavB) * invW);
      if (cav <= 0) continue;
      let below = 1;
      if (mixed) {
        const side = uu < p.bandU ? 0 : 1;
        const dr = anatomy.diaphragmZ(0, uu, v),
          dl = anatomy.diaphragmZ(1, uu, v);
        const w = anatomy.diaphragmWidth(side, uu, v, sx, sy, sz);
        below = ramp((z - (dr > dl ? dr : dl)) / w);
      }
      clip[iy * nx + ix] = cav * below;
    }
  }
  const h = L.h;
  const ellipsoid = (e: Ellipsoid, hu: number, grow = 0) => {
    const s = section(e, h);
    if (s > 0) {
      paintEllipse(
        canvas,
        cx + e.u,
        cy + e.v,
        e.a * s + grow,
        e.b * s + grow,
        e.angle,
        hu,
        CLIP_INSIDE,
      );
    }
  };
  paintEllipse(
    canvas,
    cx,
    cy + L.cavV,
    L.cavA + m,
    L.cavB + m,
    0,
    t.fat + 10,
    CLIP_INSIDE,
  );
  ellipsoid(st.liver, t.liver);
  for (const k of st.kidneys) {
    ellipsoid(k, t.fat, 6);
    ellipsoid(k, t.kidney);
  }
  ellipsoid(st.spleen, t.spleen);
  const so = section(st.stomach, h);
  if (so > 0) {
    const e = st.stomach;
    paintEllipse(
      canvas,
      cx + e.u,
      cy + e.v,
      e.a * so,
      e.b * so,
      e.angle,
      t.muscle - 5,
      CLIP_INSIDE,
    );
    paintEllipse(
      canvas,
      cx + e.u,
      cy + e.v,
      e.a * so - 3,
      e.b * so - 3,
      e.angle,
      t.bowel - 10,
      CLIP_INSIDE,
    );
    // Gas rises to the front (supine patient): air above a flat fluid level.
    if (st.stomachAirV > -Infinity) {
      paintStomachAir(
        canvas,
        cx + e.u,
        cy + e.v,
        e.a * so - 3,
        e.b * so - 3,
        e.angle,
        cy + st.stomachAirV,
        t.air,
      );
    }
  }
  for (const { e, gas } of st.bowel) {
    const s = section(e, h);
    if (s <= 0) continue;
    paintEllipse(
      canvas,
      cx + e.u,
      cy + e.v,
      e.a * s,
      e.b * s,
      e.angle,
      t.bowel,
      CLIP_INSIDE,
    );
    if (gas) {
      paintEllipse(
        canvas,
        cx + e.u,
        cy + e.v,
        e.a * s - 2,
        e.b * s - 2,
        e.angle,
        t.air,
        CLIP_INSIDE,
      );
    }
  }
  // Diaphragm muscle: the top few mm of the abdomen under the domes.
  if (mixed || z > p.zApex - Math.max(p.domeH[0], p.domeH[1]) - 80) {
    const buf = canvas.hu;
    for (let iy = iyLo; iy <= iyHi; iy++) {
      const v = y0 + iy * sy - cy;
      for (let ix = ixLo; ix <= ixHi; ix++) {
        const i = iy * nx + ix;
        const cov = clip[i];
        if (cov <= 0) continue;
        const uu = x0 + ix * sx - cx;
        const side = uu < p.bandU ? 0 : 1;
        const dz = anatomy.diaphragmZ(0, uu, v),
          dl = anatomy.diaphragmZ(1, uu, v);
        const d = (dz > dl ? dz : dl) - tD;
        const w = anatomy.diaphragmWidth(side, uu, v, sx, sy, sz);
        const alpha = ramp((d - z) / w) * cov;
        if (alpha > 0) buf[i] += (t.muscle - buf[i]) * alpha;
      }
    }
  }
}

function paintStomachAir(
  canvas: Canvas,
  ex: number,
  ey: number,
  a: number,
  b: number,
  angle: number,
  levelY: number,
  hu: number,
): void {
  if (a <= 0 || b <= 0) return;
  const { nx, ny, sx, sy, x0, y0, hu: buf, clip } = canvas;
  const c = Math.cos(angle), s = Math.sin(angle);
  const reach = Math.max(a, b) + 2 * sx;
  const iyLo = Math.max(0, Math.floor((ey - reach - y0) / sy));
  const iyHi = Math.min(
    ny - 1,
    Math.ceil((Math.min(ey + reach, levelY + 2 * sy) - y0) / sy),
  );
  const ixLo = Math.max(0, Math.floor((ex - reach - x0) / sx));
  const ixHi = Math.min(nx - 1, Math.ceil((ex + reach - x0) / sx));
  for (let iy = iyLo; iy <= iyHi; iy++) {
    const dy = y0 + iy * sy - ey;
    const level = ramp((y0 + iy * sy - levelY) / sy);
    if (level <= 0) continue;
    for (let ix = ixLo; ix <= ixHi; ix++) {
      const dx = x0 + ix * sx - ex;
      const alpha =
        ramp(ellipseSd(dx * c + dy * s, -dx * s + dy * c, a, b) / sx) * level *
        clip[iy * nx + ix];
      if (alpha > 0) {
        const i = iy * nx + ix;
        buf[i] += (hu - buf[i]) * alpha;
      }
    }
  }
}

/** The thoracic cavity's non-lung content: soft tissue, mediastinal fat, heart. */
function paintThorax(
  canvas: Canvas,
  plan: ScanPlan,
  L: Level,
  clipMode: ClipMode,
): void {
  const p = plan.anatomy.p;
  const t = plan.tissue;
  const { nx, ny, sx, sy, x0, y0, hu: buf, clip } = canvas;
  const cx = p.cx, cy = p.cy;
  paintEllipse(canvas, cx, cy + L.cavV, L.cavA, L.cavB, 0, t.muscle, clipMode);
  // Mediastinal fat: the band between the lungs, inside the cavity.
  const invW = 1 / sx;
  const iyLo = Math.max(0, Math.floor((cy + L.cavV - L.cavB - y0) / sy));
  const iyHi = Math.min(ny - 1, Math.ceil((cy + L.cavV + L.cavB - y0) / sy));
  for (let iy = iyLo; iy <= iyHi; iy++) {
    const v = y0 + iy * sy - cy;
    let wr: number, wl: number;
    if (v <= L.bandVFront) {
      wr = L.bandR0;
      wl = L.bandL0;
    } else if (v <= L.bandVMid) {
      const f = (v - L.bandVFront) / (L.bandVMid - L.bandVFront);
      wr = lerp(L.bandR0, L.bandR1, f);
      wl = lerp(L.bandL0, L.bandL1, f);
    } else if (v <= L.bandVBack) {
      const f = (v - L.bandVMid) / (L.bandVBack - L.bandVMid);
      wr = lerp(L.bandR1, L.bandR2, f);
      wl = lerp(L.bandL1, L.bandL2, f);
    } else {
      wr = L.bandR2;
      wl = L.bandL2;
    }
    const left = cx + L.bandU - wr, right = cx + L.bandU + wl;
    const ixLo = Math.max(0, Math.floor((left - sx - x0) / sx));
    const ixHi = Math.min(nx - 1, Math.ceil((right + sx - x0) / sx));
    const row = iy * nx;
    for (let ix = ixLo; ix <= ixHi; ix++) {
      const x = x0 + ix * sx;
      const band = ramp(Math.max(left - x, x - right) * invW);
      if (band <= 0) continue;
      let alpha = band *
        ramp(ellipseSd(x - cx, v - L.cavV, L.cavA, L.cavB) * invW);
      if (clipMode === CLIP_OUTSIDE) alpha *= 1 - clip[row + ix];
      if (alpha > 0) {
        buf[row + ix] += (t.mediastinalFat - buf[row + ix]) * alpha;
      }
    }
  }
  if (L.hasHeart) {
    const angle = p.heart.angle;
    const hx = cx + L.heartU, hy = cy + L.heartV;
    paintEllipse(
      canvas,
      hx,
      hy,
      L.heartA + 3,
      L.heartB + 3,
      angle,
      t.mediastinalFat,
      clipMode,
    );
    paintEllipse(
      canvas,
      hx,
      hy,
      L.heartA,
      L.heartB,
      angle,
      t.myocardium,
      clipMode,
    );
    // Blood pools of the right (front) and left (back) heart.
    const ca = Math.cos(angle), sa = Math.sin(angle);
    for (const [along, across] of [[-0.15, -0.3], [0.1, 0.32]]) {
      const ox = along * L.heartA * ca - across * L.heartB * sa;
      const oy = along * L.heartA * sa + across * L.heartB * ca;
      paintEllipse(
        canvas,
        hx + ox,
        hy + oy,
        L.heartA * 0.55,
        L.heartB * 0.4,
        angle,
        t.blood,
        clipMode,
      );
    }
  }
}

/**
 * Paints both lungs and writes their labels. The clip buffer receives the
 * lung coverage (for juxtapleural nodules).
 */
function paintLungs(
  canvas: Canvas,
  plan: ScanPlan,
  L: Level,
  mask: Uint8Array,
): void {
  const clip = canvas.clip;
  clip.fill(0);
  if (!L.hasLungs) return;
  const anatomy = plan.anatomy;
  const p = anatomy.p;
  const { nx, ny, sx, sy, sz, x0, y0, hu: buf } = canvas;
  const invW = 1 / sx;
  // Margin of the row spans: beyond 1.5 voxels outside a boundary (or
  // inside it) the approximate distance is past ±0.5 voxel (see ellipseSd).
  const m = 1.5 * Math.max(sx, sy);
  // Well above the domes the diaphragm term is below −0.5 everywhere (its
  // slope-scaled width is at most 5·sx + 3·sy + sz over the lungs).
  L.diaphragmFar = L.z - (p.zApex - Math.min(p.domeH[0], p.domeH[1])) >
    3 * (sx + sy) + sz;
  // Obstacles' boxes (body frame u, v), grown so that outside them their
  // distance terms cannot lower the coverage.
  const boxes = new Float64Array(4 * L.obstacleCount);
  const box = new Float64Array(4);
  let boxCount = 0;
  for (let k = 0; k < L.obstacleCount; k++) {
    if (!anatomy.obstacleBox(L, k, m, box)) continue;
    boxes[boxCount * 4] = box[0] - p.cx;
    boxes[boxCount * 4 + 1] = box[1] - p.cx;
    boxes[boxCount * 4 + 2] = box[2] - p.cy;
    boxes[boxCount * 4 + 3] = box[3] - p.cy;
    boxCount++;
  }
  const tmp = new Float64Array(2);
  // Per row: intervals (u) where a full evaluation is needed even inside
  // the fast span.
  const excluded = new Float64Array(2 * (boxCount + 2));
  const gap = PLEURA_GAP_MM;
  for (const side of [0, 1] as const) {
    const s = side === 0 ? -1 : 1;
    const label = side === 0 ? LUNG_LABEL_RIGHT : LUNG_LABEL_LEFT;
    const lu = s * L.lungU;
    const vLo = Math.max(L.lungV - L.lungB, L.cavV - L.cavB) - m;
    const vHi = Math.min(L.lungV + L.lungB, L.cavV + L.cavB) + m;
    if (vLo >= vHi) continue;
    const iyLo = Math.max(0, Math.floor((p.cy + vLo - y0) / sy));
    const iyHi = Math.min(ny - 1, Math.ceil((p.cy + vHi - y0) / sy));
    for (let iy = iyLo; iy <= iyHi; iy++) {
      const v = y0 + iy * sy - p.cy;
      // Outer span: where the lung's coverage may be non-zero.
      if (!ellipseRowSpan(v - L.lungV, L.lungA + m, L.lungB + m, 1, 0, tmp)) {
        continue;
      }
      let outLo = lu + tmp[0], outHi = lu + tmp[1];
      if (!ellipseRowSpan(v - L.cavV, L.cavA + m, L.cavB + m, 1, 0, tmp)) {
        continue;
      }
      outLo = Math.max(outLo, tmp[0]);
      outHi = Math.min(outHi, tmp[1]);
      const band = bandHalfWidth(L, side, v);
      if (side === 0) outHi = Math.min(outHi, L.bandU - band + m);
      else outLo = Math.max(outLo, L.bandU + band - m);
      if (outLo > outHi) continue;
      // Fast span: deep inside the lung's own ellipse, the cavity and clear
      // of the band, where only the organs listed in `excluded` can matter.
      let fastLo = Infinity, fastHi = -Infinity, nEx = 0;
      if (
        L.diaphragmFar &&
        ellipseRowSpan(v - L.lungV, L.lungA - m, L.lungB - m, 1, 0, tmp)
      ) {
        fastLo = lu + tmp[0];
        fastHi = lu + tmp[1];
        if (ellipseRowSpan(v - L.cavV, L.cavA - m, L.cavB - m, 1, 0, tmp)) {
          fastLo = Math.max(fastLo, tmp[0]);
          fastHi = Math.min(fastHi, tmp[1]);
          if (side === 0) fastHi = Math.min(fastHi, L.bandU - band - m);
          else fastLo = Math.max(fastLo, L.bandU + band + m);
        } else {
          fastLo = Infinity;
        }
        if (
          ellipseRowSpan(
            v - L.spineV,
            L.spineA + gap + m,
            L.spineB + gap + m,
            1,
            0,
            tmp,
          )
        ) {
          excluded[nEx++] = tmp[0];
          excluded[nEx++] = tmp[1];
        }
        if (
          L.hasHeart &&
          ellipseRowSpan(
            v - L.heartV,
            L.heartA + gap + m,
            L.heartB + gap + m,
            L.heartCos,
            L.heartSin,
            tmp,
          )
        ) {
          excluded[nEx++] = L.heartU + tmp[0];
          excluded[nEx++] = L.heartU + tmp[1];
        }
        for (let k = 0; k < boxCount; k++) {
          if (v >= boxes[k * 4 + 2] && v <= boxes[k * 4 + 3]) {
            excluded[nEx++] = boxes[k * 4];
            excluded[nEx++] = boxes[k * 4 + 1];
          }
        }
      }
      const hu = anatomy.lungHu(L, v);
      const row = iy * nx;
      const ixLo = Math.max(0, Math.ceil((p.cx + outLo - x0) / sx));
      const ixHi = Math.min(nx - 1, Math.floor((p.cx + outHi - x0) / sx));
      for (let ix = ixLo; ix <= ixHi; ix++) {
        const uu = x0 + ix * sx - p.cx;
        const i = row + ix;
        let fast = uu >= fastLo && uu <= fastHi;
        for (let e = 0; fast && e < nEx; e += 2) {
          if (uu >= excluded[e] && uu <= excluded[e + 1]) fast = false;
        }
        if (fast) {
          buf[i] = hu;
          clip[i] = 1;
          mask[i] = label;
          continue;
        }
        const d = anatomy.lungDistance(L, side, uu, v, invW, sx, sy, sz);
        if (d >= 0.5) continue;
        const alpha = ramp(d);
        buf[i] += (hu - buf[i]) * alpha;
        if (alpha > clip[i]) clip[i] = alpha;
        if (d < 0) mask[i] = label;
      }
    }
  }
}

/** How far beyond a tube's radius its partial-volume edge reaches (mm). */
function indexMargin(plan: ScanPlan): number {
  return 0.5 * Math.hypot(plan.sxy, plan.sxy, plan.sz) + 0.02;
}
