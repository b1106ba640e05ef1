/**
 * Per-slice binarization (reference §1.2, DSB2017 `binarize_per_slice`):
 * Gaussian blur, threshold, and 2D regions filtered by area and eccentricity.
 *
 * @module
 */

import { labelMask, type Volume } from "../../core/mod.ts";

/** Settings of {@linkcode binarizePerSlice}. */
export interface BinarizeSettings {
  /** A pixel is air when its blurred value is below this (HU). */
  readonly thresholdHu: number;
  /** Gaussian sigma in pixels. */
  readonly sigmaPx: number;
  /** The kernel is truncated at this many sigmas (scipy's `truncate`). */
  readonly truncate: number;
  /** Regions must be larger than this area (mm²). */
  readonly minAreaMm2: number;
  /** Regions must have a smaller eccentricity than this. */
  readonly maxEccentricity: number;
  /** Side of the top-left patch tested for a constant circular-FOV padding (px). */
  readonly patchPx: number;
}

/** The reference defaults: −600 HU, sigma 1 px truncated at 2, 30 mm², 0.99, 10 px. */
export const REFERENCE_BINARIZE: BinarizeSettings = {
  thresholdHu: -600,
  sigmaPx: 1,
  truncate: 2,
  minAreaMm2: 30,
  maxEccentricity: 0.99,
  patchPx: 10,
};

/** What {@linkcode binarizePerSlice} produces. */
export interface Binarized {
  /** 0/1 air regions kept, ZYX, the volume's grid. */
  readonly mask: Uint8Array;
  /** Slices whose top-left patch was constant (circular field of view). */
  readonly circularSlices: number;
  /**
   * Per slice: area (mm²) of kept regions that do not touch the edge of the
   * field of view (the image border, or the FOV circle): air inside the body.
   */
  readonly insideAirMm2: Float64Array;
  /** Where the field of view ends, per slice (see {@linkcode FieldOfView}). */
  readonly fov: FieldOfView;
}

/**
 * The edge of the reconstructed field of view: the image border, and in
 * slices with a circular FOV also the first and last valid (never NaN after
 * the blur) column of each row.
 */
export interface FieldOfView {
  /** 1 for slices whose corner patch was constant (circular FOV). */
  readonly circular: Uint8Array;
  /** First valid column of each row in circular slices (−1: none). */
  readonly firstValid: Int32Array;
  /** Last valid column of each row in circular slices (−1: none). */
  readonly lastValid: Int32Array;
}

/** Gaussian weights of scipy's `gaussian_filter1d`: radius `floor(truncate·sigma + 0.5)`. */
export function gaussianWeights(sigma: number, truncate: number): Float64Array {
  const radius = Math.floor(truncate * sigma + 0.5);
  const w = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let k = -radius; k <= radius; k++) {
    w[k + radius] = Math.exp(-0.5 * k * k / (sigma * sigma));
    sum += w[k + radius];
  }
  for (let k = 0; k < w.length; k++) w[k] /= sum;
  return w;
}

// scipy's "reflect" boundary: (d c b a | a b c d | d c b a).
function reflectIndex(i: number, n: number): number {
  const period = 2 * n;
  let m = i % period;
  if (m < 0) m += period;
  return m < n ? m : period - 1 - m;
}

/**
 * Eccentricity of a region from its second moments, as skimage's
 * `regionprops` defines it: `sqrt(1 − λ2/λ1)` for the eigenvalues of the
 * covariance of pixel coordinates (0 when λ1 = 0).
 *
 * @param n pixel count
 * @param sy Σ row, @param sx Σ column, @param syy Σ row², @param sxx Σ column², @param sxy Σ row·column
 * @returns a value in [0, 1]
 */
export function eccentricity(
  n: number,
  sy: number,
  sx: number,
  syy: number,
  sxx: number,
  sxy: number,
): number {
  const my = sy / n, mx = sx / n;
  const a = syy / n - my * my, c = sxx / n - mx * mx, b = sxy / n - my * mx;
  const mean = (a + c) / 2;
  const root = Math.sqrt(((a - c) / 2) ** 2 + b * b);
  const l1 = mean + root, l2 = Math.max(0, mean - root);
  if (!(l1 > 1e-12)) return 0;
  return Math.sqrt(Math.max(0, 1 - l2 / l1));
}

/**
 * Binarizes every axial slice: blur (Gaussian, reflect border) then keep
 * pixels below the threshold; a square slice whose top-left patch is
 * constant gets NaN outside its inscribed circle first, and NaN spreads
 * through the blur so those pixels never pass (computed here as a
 * precomputed "touched by the outside" mask, which is the same set). 8-connected regions are kept when their area in
 * mm² exceeds `minAreaMm2` and their eccentricity is below
 * `maxEccentricity`.
 *
 * @param volume CT volume in HU (finite values)
 * @param settings thresholds (see {@linkcode REFERENCE_BINARIZE})
 * @returns the mask and per-slice statistics
 */
export function binarizePerSlice(
  volume: Volume,
  settings: BinarizeSettings,
): Binarized {
  const [nz, ny, nx] = volume.shape;
  const plane = ny * nx;
  const mask = new Uint8Array(nz * plane);
  const insideAirMm2 = new Float64Array(nz);
  const pixelMm2 = volume.spacingMm[1] * volume.spacingMm[2];
  const w = gaussianWeights(settings.sigmaPx, settings.truncate);
  const radius = (w.length - 1) / 2;
  const src = new Float32Array(plane);
  const tmp = new Float32Array(plane);
  const row = new Float32Array(nx + 2 * radius);
  // The circular field of view (reference: inscribed circle, radius = width
  // / 2, pixel centres at ±(n/2 − 0.5)) applies to square slices only; the
  // reference never defines it for others.
  const square = ny === nx;
  const cy = (ny - 1) / 2, cx = (nx - 1) / 2;
  const fovRadius = nx / 2;
  // NaN outside the circle spreads through the separable blur to every pixel
  // whose (2·radius + 1)² window, after border reflection, holds such a
  // pixel: those pixels can never pass the threshold. Precomputed once.
  const invalid = new Uint8Array(square ? plane : 0);
  if (square) {
    const outside = new Uint8Array(plane);
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        if (Math.hypot(y - cy, x - cx) >= fovRadius) outside[y * nx + x] = 1;
      }
    }
    const spreadX = new Uint8Array(plane);
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        let any = 0;
        for (let k = -radius; k <= radius; k++) {
          any |= outside[y * nx + reflectIndex(x + k, nx)];
        }
        spreadX[y * nx + x] = any;
      }
    }
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        let any = 0;
        for (let k = -radius; k <= radius; k++) {
          any |= spreadX[reflectIndex(y + k, ny) * nx + x];
        }
        invalid[y * nx + x] = any;
      }
    }
  }
  // Regions touching this band are open to the air around the body.
  const edgeRadius = fovRadius - radius - 1.5;
  const data = volume.data;
  const patch = Math.min(settings.patchPx, ny, nx);
  let circularSlices = 0;
  const th = settings.thresholdHu;
  const rowsAt = new Int32Array(2 * radius + 1);
  const circular = new Uint8Array(nz);
  const firstValid = new Int32Array(ny).fill(-1);
  const lastValid = new Int32Array(ny).fill(-1);
  if (square) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        if (invalid[y * nx + x]) continue;
        if (firstValid[y] < 0) firstValid[y] = x;
        lastValid[y] = x;
      }
    }
  }

  for (let z = 0; z < nz; z++) {
    const base = z * plane;
    // Constant top-left patch → circular field of view.
    const v0 = data[base];
    let constant = square;
    for (let y = 0; y < patch && constant; y++) {
      for (let x = 0; x < patch; x++) {
        if (data[base + y * nx + x] !== v0) {
          constant = false;
          break;
        }
      }
    }
    if (constant) {
      circularSlices++;
      circular[z] = 1;
    }
    for (let i = 0; i < plane; i++) src[i] = data[base + i];
    // Axis 0 (rows) first, as scipy does, then axis 1 with the threshold.
    for (let y = 0; y < ny; y++) {
      for (let k = -radius; k <= radius; k++) {
        rowsAt[k + radius] = reflectIndex(y + k, ny) * nx;
      }
      const to = y * nx;
      if (radius === 2) {
        const r0 = rowsAt[0],
          r1 = rowsAt[1],
          r2 = rowsAt[2],
          r3 = rowsAt[3],
          r4 = rowsAt[4];
        const w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4];
        for (let x = 0; x < nx; x++) {
          tmp[to + x] = w0 * src[r0 + x] + w1 * src[r1 + x] +
            w2 * src[r2 + x] + w3 * src[r3 + x] + w4 * src[r4 + x];
        }
      } else {
        for (let x = 0; x < nx; x++) {
          let s = 0;
          for (let k = 0; k < w.length; k++) s += w[k] * src[rowsAt[k] + x];
          tmp[to + x] = s;
        }
      }
    }
    const out = base;
    for (let y = 0; y < ny; y++) {
      const off = y * nx;
      for (let k = -radius; k < 0; k++) {
        row[k + radius] = tmp[off + reflectIndex(k, nx)];
      }
      row.set(tmp.subarray(off, off + nx), radius);
      for (let k = nx; k < nx + radius; k++) {
        row[k + radius] = tmp[off + reflectIndex(k, nx)];
      }
      if (radius === 2) {
        const w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4];
        for (let x = 0; x < nx; x++) {
          const s = w0 * row[x] + w1 * row[x + 1] + w2 * row[x + 2] +
            w3 * row[x + 3] + w4 * row[x + 4];
          mask[out + off + x] = s < th ? 1 : 0;
        }
      } else {
        for (let x = 0; x < nx; x++) {
          let s = 0;
          for (let k = 0; k < w.length; k++) s += w[k] * row[x + k];
          mask[out + off + x] = s < th ? 1 : 0;
        }
      }
      if (constant) {
        for (let x = 0; x < nx; x++) {
          if (invalid[off + x]) mask[out + off + x] = 0;
        }
      }
    }
    insideAirMm2[z] = filterRegions(
      mask.subarray(base, base + plane),
      ny,
      nx,
      pixelMm2,
      settings,
      constant ? edgeRadius : Infinity,
    );
  }
  return {
    mask,
    circularSlices,
    insideAirMm2,
    fov: { circular, firstValid, lastValid },
  };
}

// Clears the 8-connected regions of one slice that fail the area or
// eccentricity rule; returns the area (mm²) of kept regions that stay clear
// of the image border and of the FOV circle band.
function filterRegions(
  slice: Uint8Array,
  ny: number,
  nx: number,
  pixelMm2: number,
  settings: BinarizeSettings,
  edgeRadius: number,
): number {
  const runs = labelMask(slice, [1, ny, nx], 8);
  const n = runs.components;
  if (n === 0) return 0;
  const sy = new Float64Array(n + 1), sx = new Float64Array(n + 1);
  const syy = new Float64Array(n + 1), sxx = new Float64Array(n + 1);
  const sxy = new Float64Array(n + 1);
  const edge = new Uint8Array(n + 1);
  const cy = (ny - 1) / 2, cx = (nx - 1) / 2;
  const r2 = edgeRadius * edgeRadius;
  const s2 = (m: number) => m * (m + 1) * (2 * m + 1) / 6;
  for (let y = 0; y < ny; y++) {
    for (let i = runs.rowStart[y]; i < runs.rowStart[y + 1]; i++) {
      const l = runs.labels[i], a = runs.x0[i], b = runs.x1[i], len = b - a;
      const colSum = len * (a + b - 1) / 2;
      sy[l] += len * y;
      syy[l] += len * y * y;
      sx[l] += colSum;
      sxx[l] += s2(b - 1) - s2(a - 1);
      sxy[l] += y * colSum;
      if (y === 0 || y === ny - 1 || a === 0 || b === nx) edge[l] = 1;
      else if (edgeRadius !== Infinity) {
        const dy2 = (y - cy) ** 2;
        if (dy2 + (a - cx) ** 2 >= r2 || dy2 + (b - 1 - cx) ** 2 >= r2) {
          edge[l] = 1;
        }
      }
    }
  }
  const keep = new Uint8Array(n + 1);
  let inside = 0;
  for (let l = 1; l <= n; l++) {
    const area = runs.sizes[l];
    if (
      area * pixelMm2 > settings.minAreaMm2 &&
      eccentricity(area, sy[l], sx[l], syy[l], sxx[l], sxy[l]) <
        settings.maxEccentricity
    ) {
      keep[l] = 1;
      if (!edge[l]) inside += area * pixelMm2;
    }
  }
  for (let y = 0; y < ny; y++) {
    for (let i = runs.rowStart[y]; i < runs.rowStart[y + 1]; i++) {
      if (!keep[runs.labels[i]]) {
        slice.fill(0, y * nx + runs.x0[i], y * nx + runs.x1[i]);
      }
    }
  }
  return inside;
}
