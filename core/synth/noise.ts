/**
 * Fast seeded CT-like image noise: Gaussian, spatially correlated within the
 * slice (first-order autoregressive along x and along y, which gives the
 * grainy texture of filtered back-projection rather than pixel-white noise).
 *
 * @module
 */

import type { Rng } from "../random.ts";

const TABLE_BITS = 16;

/**
 * Adds zero-mean, unit-variance-scaled correlated Gaussian noise to slices.
 *
 * @example
 * ```ts
 * import { createRng } from "../random.ts";
 * import { SliceNoise } from "./noise.ts";
 * const noise = new SliceNoise(createRng(1), 64, { sdHu: 20, correlation: 0.4 });
 * const slice = new Float32Array(64 * 64);
 * noise.addTo(slice, 64, 64);
 * ```
 */
export class SliceNoise {
  readonly #table: Float32Array;
  readonly #prev: Float32Array;
  readonly #sd: number;
  readonly #rho: number;
  readonly #gain: number;
  #state: number;

  /**
   * Draws the Gaussian table and the stream seed.
   *
   * @param rng seeded generator (draws the Gaussian table and the stream seed)
   * @param width pixels per row of the slices to come
   * @param options `sdHu`: standard deviation in HU; `correlation`: the
   *   autoregressive coefficient along x and y, in [0, 0.95]
   */
  constructor(
    rng: Rng,
    width: number,
    options: { sdHu: number; correlation: number },
  ) {
    if (!(options.sdHu >= 0)) {
      throw new RangeError(
        `Cannot create noise: sdHu is ${options.sdHu}, expected a value >= 0`,
      );
    }
    if (!(options.correlation >= 0 && options.correlation <= 0.95)) {
      throw new RangeError(
        `Cannot create noise: correlation is ${options.correlation}, expected a value in [0, 0.95]`,
      );
    }
    const n = 1 << TABLE_BITS;
    this.#table = new Float32Array(n);
    let sum = 0, sum2 = 0;
    for (let i = 0; i < n; i++) {
      const g = rng.normal();
      this.#table[i] = g;
      sum += g;
      sum2 += g * g;
    }
    // Standardise the table so the noise has exactly the requested variance.
    const mean = sum / n;
    const sd = Math.sqrt(sum2 / n - mean * mean);
    for (let i = 0; i < n; i++) this.#table[i] = (this.#table[i] - mean) / sd;
    this.#prev = new Float32Array(width);
    this.#sd = options.sdHu;
    this.#rho = options.correlation;
    this.#gain = Math.sqrt(1 - options.correlation * options.correlation);
    this.#state = (rng.int(0xffffffff) | 1) >>> 0;
  }

  /** Adds noise to one slice of `width × height` pixels (row-major). */
  addTo(slice: Float32Array, width: number, height: number): void {
    if (width !== this.#prev.length || slice.length < width * height) {
      throw new RangeError(
        `Cannot add noise: slice is ${width}x${height} (${slice.length} values), expected width ${this.#prev.length}`,
      );
    }
    const table = this.#table, prev = this.#prev;
    const rho = this.#rho, gain = this.#gain, sd = this.#sd;
    const shift = 32 - TABLE_BITS;
    let s = this.#state;
    // Start the row recursion in its stationary state.
    for (let x = 0; x < width; x++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      prev[x] = table[s >>> shift];
    }
    for (let y = 0; y < height; y++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      let e = table[s >>> shift];
      const row = y * width;
      for (let x = 0; x < width; x++) {
        s ^= s << 13;
        s ^= s >>> 17;
        s ^= s << 5;
        e = rho * e + gain * table[s >>> shift];
        const n = rho * prev[x] + gain * e;
        prev[x] = n;
        slice[row + x] += sd * n;
      }
    }
    this.#state = s;
  }
}
