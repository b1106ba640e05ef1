/**
 * Nodule diameters drawn from the real LUNA16 size distribution.
 *
 * @module
 */

import type { Rng } from "../random.ts";

/**
 * Quantiles of LUNA16's `annotations.csv` `diameter_mm` column (1186
 * nodules) at 0 %, 1 %, …, 100 %, in mm, rounded to 0.01 mm.
 *
 * Derived once from the official file (Setio et al., Med Image Anal 42:1-13,
 * 2017): sort the 1186 diameters, then for p = k/100 take the linear
 * interpolation between order statistics at position (n − 1)·p (NumPy's
 * default "linear" quantile). `diameters_test.ts` recomputes the table from
 * `shared/data/luna16/annotations.csv` when shared data is present; the code
 * never reads that file at run time.
 */
export const LUNA16_DIAMETER_QUANTILES_MM: readonly number[] = Object.freeze([
  3.25,
  3.59,
  3.83,
  3.9,
  3.99,
  4.09,
  4.19,
  4.25,
  4.31,
  4.36,
  4.4,
  4.46,
  4.51,
  4.54,
  4.59,
  4.67,
  4.72,
  4.76,
  4.82,
  4.86,
  4.9,
  4.93,
  4.98,
  5.05,
  5.07,
  5.11,
  5.15,
  5.2,
  5.24,
  5.26,
  5.31,
  5.39,
  5.48,
  5.52,
  5.57,
  5.63,
  5.69,
  5.74,
  5.79,
  5.84,
  5.9,
  5.94,
  5.98,
  6.02,
  6.1,
  6.17,
  6.24,
  6.27,
  6.32,
  6.37,
  6.43,
  6.5,
  6.61,
  6.7,
  6.77,
  6.87,
  6.94,
  7.01,
  7.07,
  7.19,
  7.3,
  7.43,
  7.63,
  7.75,
  7.85,
  7.92,
  8.1,
  8.22,
  8.36,
  8.61,
  8.72,
  8.83,
  9.03,
  9.33,
  9.5,
  9.7,
  9.89,
  10.14,
  10.43,
  10.83,
  11.07,
  11.46,
  11.8,
  12.17,
  12.58,
  12.86,
  13.18,
  13.8,
  14.19,
  14.85,
  15.48,
  16.2,
  16.95,
  17.42,
  18.15,
  18.95,
  20.14,
  21.39,
  22.26,
  23.99,
  32.27,
]);

/**
 * Linear-interpolated quantile of a sorted sample (NumPy's default method):
 * the value at position (n − 1)·p.
 *
 * @param sorted values in ascending order (at least one)
 * @param p probability in [0, 1]
 * @returns the p-quantile
 * @example
 * ```ts
 * import { quantileSorted } from "./diameters.ts";
 * quantileSorted([1, 2, 3, 4], 0.5); // 2.5
 * ```
 */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) {
    throw new RangeError("Cannot take a quantile: the sample is empty");
  }
  if (!(p >= 0 && p <= 1)) {
    throw new RangeError(
      `Cannot take a quantile: p is ${p}, expected a value in [0, 1]`,
    );
  }
  const h = (sorted.length - 1) * p;
  const i = Math.floor(h);
  const j = Math.min(i + 1, sorted.length - 1);
  return sorted[i] + (sorted[j] - sorted[i]) * (h - i);
}

/**
 * Draws one nodule diameter (mm) from the LUNA16 distribution by inverse
 * transform sampling over {@linkcode LUNA16_DIAMETER_QUANTILES_MM}
 * (piecewise-linear between the 1 % quantiles).
 *
 * @param rng seeded generator
 * @returns a diameter in [3.25, 32.27] mm
 * @example
 * ```ts
 * import { createRng } from "../random.ts";
 * import { sampleNoduleDiameterMm } from "./diameters.ts";
 * const d = sampleNoduleDiameterMm(createRng(1)); // e.g. 6.1
 * ```
 */
export function sampleNoduleDiameterMm(rng: Rng): number {
  return quantileSorted(LUNA16_DIAMETER_QUANTILES_MM, rng.next());
}
