/**
 * Seeded random numbers. Everything random in Pleura (synthetic scans, crop
 * sampling, augmentation, bootstraps, weight init) draws from an
 * {@linkcode Rng} made from an explicit seed, so runs are reproducible.
 *
 * @module
 */

/** A seeded pseudo-random generator (xoshiro128**). */
export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Standard normal deviate (mean 0, sd 1). */
  normal(): number;
  /** A new independent generator derived from this one (for parallel streams). */
  fork(): Rng;
  /** The internal state, to checkpoint and restore. */
  state(): [number, number, number, number];
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/**
 * Creates a generator from an integer seed or a saved state.
 *
 * @example
 * ```ts
 * import { createRng } from "./random.ts";
 * const a = createRng(42), b = createRng(42);
 * a.next() === b.next(); // true
 * ```
 */
export function createRng(
  seed: number | readonly [number, number, number, number],
): Rng {
  let s0: number, s1: number, s2: number, s3: number;
  if (typeof seed === "number") {
    const mix = splitmix32(Math.floor(seed) ^ 0x5eed);
    s0 = mix();
    s1 = mix();
    s2 = mix();
    s3 = mix();
  } else {
    [s0, s1, s2, s3] = seed.map((v) => v >>> 0);
  }
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1;
  let spare: number | null = null;
  const nextU32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    s2 = (s2 ^ s0) >>> 0;
    s3 = (s3 ^ s1) >>> 0;
    s1 = (s1 ^ s2) >>> 0;
    s0 = (s0 ^ s3) >>> 0;
    s2 = (s2 ^ t) >>> 0;
    s3 = rotl(s3, 11);
    return result;
  };
  const rng: Rng = {
    next: () => nextU32() / 4294967296,
    int: (n) => Math.floor((nextU32() / 4294967296) * n),
    uniform: (lo, hi) => lo + (hi - lo) * (nextU32() / 4294967296),
    normal: () => {
      if (spare !== null) {
        const v = spare;
        spare = null;
        return v;
      }
      let u = 0;
      while (u === 0) u = nextU32() / 4294967296;
      const v = nextU32() / 4294967296;
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
    fork: () => createRng(nextU32() ^ Math.imul(nextU32(), 0x9e3779b1)),
    state: () => [s0, s1, s2, s3],
  };
  return rng;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
