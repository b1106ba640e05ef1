/**
 * Training crops (reference §4): the oversampled sample list, the epoch of
 * target and random crops, crop placement with a bound margin and pad value,
 * scale augmentation, y/x flips, optional axis swap, and the coordinate
 * input; optionally (not in the reference) intensity augmentation and
 * nodules pasted next to dense tissue. Works on preprocessed scans (1 mm,
 * uint8 window, pad 170).
 *
 * @module
 */

import type { CropLabels } from "../anchor_head.ts";
import type { Rng } from "../random.ts";
import {
  type Cube,
  flipAxis,
  interleaveChannels,
  NEIGHBOUR_DIRECTIONS,
  type Zyx,
} from "../volume.ts";

/** A preprocessed scan held in memory for cropping. */
export interface PreparedScan {
  /** Scan id. */
  readonly seriesuid: string;
  /** Windowed intensities (uint8, pad 170), ZYX on the 1 mm grid. */
  readonly image: Uint8Array;
  /** Shape of `image`. */
  readonly shape: Zyx;
  /**
   * The blob response of `image` (uint8, same shape; `data.blob_channel`):
   * crops then carry it as a second input channel.
   */
  readonly blob?: Uint8Array;
  /** Nodules in voxels of `image` (1 mm), centre and diameter. */
  readonly nodules: readonly Cube[];
}

/** A diameter band and how many copies of each nodule in it enter the list. */
export interface SizeBand {
  /** Lower bound (mm, inclusive). */
  readonly min_mm: number;
  /** Upper bound (mm, exclusive). */
  readonly max_mm: number;
  /** Copies per nodule. */
  readonly copies: number;
}

/** One entry of the sample list: a crop centred on a nodule or on a hard negative. */
export interface SampleEntry {
  /** Index into the scans array. */
  readonly scan: number;
  /** Centre in voxels of the scan's 1 mm grid. */
  readonly centre: Zyx;
  /** Diameter (mm); for hard negatives the size of the false positive. */
  readonly diameter: number;
  /** `nodule`: a target crop with a positive; `hard_negative`: centred on a false positive. */
  readonly kind: "nodule" | "hard_negative";
}

/** Settings of the crop sampler (from the experiment's `train` section). */
export interface CropOptions {
  /** Crop edge S in voxels. */
  readonly cropSize: number;
  /** Feature stride (the coord grid and targets are S/stride per axis). */
  readonly stride: number;
  /** Margin between the target and the crop border. */
  readonly boundSize: number;
  /** Value outside the scan. */
  readonly padValue: number;
  /** Share of random crops in an epoch. */
  readonly randomFraction: number;
  /** Scale range of target crops ([1, 1] disables scaling). */
  readonly scaleRange: readonly [number, number];
  /** Random y/x flips. */
  readonly flip: boolean;
  /** Random axis permutation. */
  readonly swap: boolean;
  /**
   * Contrast factor range of every training crop: normalised intensities
   * are multiplied by U[lo, hi] (absent or [1, 1]: off).
   */
  readonly contrastRange?: readonly [number, number];
  /**
   * Range of the standard deviation (preprocessed levels, 0–255 scale) of
   * Gaussian noise added to every training crop: U[lo, hi] per crop
   * (absent or [0, 0]: off).
   */
  readonly noiseRange?: readonly [number, number];
  /**
   * Share of training target crops whose nodule is pasted next to dense
   * tissue at a random place of a random scan ({@linkcode findPasteSite},
   * {@linkcode pasteNodule}; absent or 0: off).
   */
  readonly pasteFraction?: number;
  /**
   * Share of training crops of a scan with a blob channel whose blob channel
   * is blanked to 0 (no blob) everywhere (absent or 0: off).
   */
  readonly blobDropout?: number;
}

/** One crop ready for the network. */
export interface Crop {
  /**
   * The network's image input `[S, S, S, C]` flattened, ZYX, channels last:
   * normalised intensities ((v − 128)/128), then, when the scan has one, its
   * blob channel normalised the same way (C = 1 or 2).
   */
  readonly image: Float32Array;
  /** Coordinate input `[S/stride, S/stride, S/stride, 3]` flattened, channels last (z, y, x), −0.5..0.5. */
  readonly coord: Float32Array;
  /** Ground truth in crop voxels. */
  readonly labels: CropLabels;
  /** Which scan it came from and where (for logs and tests). */
  readonly source: { scan: number; start: Zyx; scale: number; kind: string };
}

/**
 * The oversampled list of target entries: every nodule whose diameter lies in
 * a band is repeated `copies` times (reference §4.1; the write-up's ×4 below
 * 10 mm, ×3 for 10–30 mm, ×1 for 30–100 mm by default).
 *
 * @example
 * ```ts
 * import { buildSampleList } from "./crops.ts";
 * const scans = [{ seriesuid: "a", image: new Uint8Array(8), shape: [2, 2, 2] as const,
 *   nodules: [{ voxel: [1, 1, 1] as const, diameter: 6 }, { voxel: [1, 1, 1] as const, diameter: 20 }] }];
 * buildSampleList(scans, [{ min_mm: 0, max_mm: 10, copies: 4 }, { min_mm: 10, max_mm: 30, copies: 3 }]).length; // 7
 * ```
 */
export function buildSampleList(
  scans: readonly PreparedScan[],
  bands: readonly SizeBand[],
): SampleEntry[] {
  const list: SampleEntry[] = [];
  scans.forEach((scan, index) => {
    for (const nodule of scan.nodules) {
      const band = bands.find((b) =>
        nodule.diameter >= b.min_mm && nodule.diameter < b.max_mm
      );
      const copies = band ? band.copies : 0;
      for (let c = 0; c < copies; c++) {
        list.push({
          scan: index,
          centre: nodule.voxel,
          diameter: nodule.diameter,
          kind: "nodule",
        });
      }
    }
  });
  return list;
}

/**
 * Number of crops in one epoch: ⌊N / (1 − r)⌋ for a list of N entries and a
 * random-crop share r; with an empty list, one random crop per scan.
 */
export function epochLength(
  listLength: number,
  randomFraction: number,
  scanCount: number,
): number {
  if (listLength === 0) return scanCount;
  return Math.floor(listLength / (1 - randomFraction));
}

/**
 * Makes crop `index` of an epoch: indices below the list length are target
 * crops (augmented in training); the others are random crops (§4.2): a fair
 * coin picks a random scan at a random place without scaling, or the scan of
 * entry `index mod N` at a random place with scaling.
 *
 * In training, a share `pasteFraction` of the target crops show their nodule
 * pasted next to dense tissue elsewhere instead (copy-paste augmentation;
 * see {@linkcode findPasteSite}), and every crop of either kind then gets
 * the intensity augmentation ({@linkcode augmentIntensity}), so that it
 * cannot tell the two kinds apart. A share `blobDropout` of the training
 * crops of scans with a blob channel then have it blanked (level 0).
 *
 * @param training false gives deterministic, unaugmented target crops
 */
export function makeCrop(
  scans: readonly PreparedScan[],
  list: readonly SampleEntry[],
  index: number,
  options: CropOptions,
  rng: Rng,
  training: boolean,
): Crop {
  const crop = cutCrop(scans, list, index, options, rng, training);
  if (training) {
    const channels = crop.image.length / options.cropSize ** 3;
    augmentIntensity(crop.image, options, rng, channels);
    const dropout = options.blobDropout ?? 0;
    if (channels === 2 && dropout > 0 && rng.next() < dropout) {
      // Level 0, normalised: (0 − 128)/128.
      for (let i = 1; i < crop.image.length; i += 2) crop.image[i] = -1;
    }
  }
  return crop;
}

/** {@linkcode makeCrop} before the intensity augmentation. */
function cutCrop(
  scans: readonly PreparedScan[],
  list: readonly SampleEntry[],
  index: number,
  options: CropOptions,
  rng: Rng,
  training: boolean,
): Crop {
  const S = options.cropSize;
  if (index < list.length) {
    const entry = list[index];
    if (
      training && entry.kind === "nodule" && (options.pasteFraction ?? 0) > 0 &&
      rng.next() < options.pasteFraction!
    ) {
      const pasted = pastedCrop(scans, entry, options, rng);
      if (pasted) return pasted;
    }
    const scan = scans[entry.scan];
    const { scale, size, start } = placeTarget(
      entry.centre,
      entry.diameter,
      training && entry.kind === "nodule",
      training,
      options,
      rng,
    );
    const cube = { voxel: entry.centre, diameter: entry.diameter };
    const target = entry.kind === "nodule" ? cube : null;
    const focus = entry.kind === "hard_negative" ? cube : null;
    return assemble(scan, entry.scan, start, size, scale, target, options, {
      rng,
      augment: training,
      kind: entry.kind,
      focus,
    });
  }
  // Random crop.
  let scanIndex: number;
  let scale = 1;
  if (list.length === 0 || rng.next() < 0.5) {
    scanIndex = rng.int(scans.length);
  } else {
    const entry = list[index % list.length];
    scanIndex = entry.scan;
    if (options.scaleRange[0] !== 1 || options.scaleRange[1] !== 1) {
      scale = rng.uniform(options.scaleRange[0], options.scaleRange[1]);
    }
  }
  const scan = scans[scanIndex];
  const size = Math.floor(S / scale);
  const start = randomStart(scan.shape, size, options.boundSize, rng);
  return assemble(scan, scanIndex, start, size, scale, null, options, {
    rng,
    augment: false,
    kind: "random",
  });
}

/**
 * Scale, edge before scaling and start of a target crop around a cube: the
 * scale drawn by {@linkcode drawScale} when `scaled` (else 1), then
 * {@linkcode targetStart}, random when `random`.
 */
function placeTarget(
  centre: Zyx,
  diameter: number,
  scaled: boolean,
  random: boolean,
  options: CropOptions,
  rng: Rng,
): { scale: number; size: number; start: Zyx } {
  const scale = scaled ? drawScale(diameter, options.scaleRange, rng) : 1;
  const size = Math.floor(options.cropSize / scale);
  const start = targetStart(
    centre,
    diameter,
    size,
    options.boundSize,
    rng,
    random,
  );
  return { scale, size, start };
}

/** Levels (0–255) above which a voxel counts as dense tissue (about −140 HU). */
const DENSE_LEVEL = 150;
/** A pasted voxel replaces the scan's only where it is this many levels brighter. */
const PASTE_CONTRAST = 15;
/** Places tried per pasted crop before falling back to the nodule's own crop. */
const PASTE_TRIES = 64;

/**
 * A target crop of `entry`'s nodule pasted next to dense tissue at a random
 * place of a random scan: the crop is cut around that place as a target
 * crop (scale, flips, swap), with the nodule's voxels blended in
 * ({@linkcode pasteNodule}) and the pasted nodule as the target. Null when
 * the nodule cannot be cut out cleanly (it touches the padding: a
 * juxtapleural nodule) or no place is found.
 */
function pastedCrop(
  scans: readonly PreparedScan[],
  entry: SampleEntry,
  options: CropOptions,
  rng: Rng,
): Crop | null {
  const source = scans[entry.scan];
  const radius = entry.diameter / 2;
  const patch = cutNodule(source, entry.centre, radius, options.padValue);
  if (!patch) return null;
  const scanIndex = rng.int(scans.length);
  const scan = scans[scanIndex];
  const site = findPasteSite(scan, radius, options.padValue, rng);
  if (!site) return null;
  // The nodule keeps its sub-voxel offset from the patch's centre voxel.
  const centre: Zyx = [
    site[0] + patch.offset[0],
    site[1] + patch.offset[1],
    site[2] + patch.offset[2],
  ];
  const cube = { voxel: centre, diameter: entry.diameter };
  const { scale, size, start } = placeTarget(
    centre,
    entry.diameter,
    true,
    true,
    options,
    rng,
  );
  const host: PreparedScan = { ...scan, nodules: [...scan.nodules, cube] };
  return assemble(host, scanIndex, start, size, scale, cube, options, {
    rng,
    augment: true,
    kind: "pasted",
    paste: { patch, site },
  });
}

/** A nodule cut out of its scan: a cube of edge `side` around its centre voxel, and a blending weight per voxel. */
export interface NodulePatch {
  /** Scan levels, `[side, side, side]`, ZYX. */
  readonly voxels: Uint8Array;
  /** Weight of each voxel in the blend: 1 within the radius, falling to 0 1.5 mm beyond. */
  readonly weights: Float32Array;
  /** Odd edge length; the nodule's centre voxel is the middle one. */
  readonly side: number;
  /** Nodule centre minus its centre voxel (sub-voxel offset, each −0.5..0.5). */
  readonly offset: Zyx;
}

/**
 * Cuts the voxels of a nodule of radius `radius` centred at `centre` (scan
 * voxels) out of a preprocessed scan, or null when the ball of radius
 * `radius` + 1 reaches the scan's edge or holds padding (`pad`, the level
 * outside the lungs): a juxtapleural nodule would carry its chest wall
 * along.
 */
export function cutNodule(
  scan: Pick<PreparedScan, "image" | "shape">,
  centre: Zyx,
  radius: number,
  pad: number,
): NodulePatch | null {
  const half = Math.ceil(radius + 1.5);
  const side = 2 * half + 1;
  const middle: Zyx = [
    Math.round(centre[0]),
    Math.round(centre[1]),
    Math.round(centre[2]),
  ];
  const offset: Zyx = [
    centre[0] - middle[0],
    centre[1] - middle[1],
    centre[2] - middle[2],
  ];
  for (let axis = 0; axis < 3; axis++) {
    if (
      middle[axis] - half < 0 || middle[axis] + half >= scan.shape[axis]
    ) return null;
  }
  const start: Zyx = [middle[0] - half, middle[1] - half, middle[2] - half];
  const voxels = extractCrop(
    scan.image,
    scan.shape,
    start,
    [side, side, side],
    pad,
  );
  const weights = new Float32Array(side * side * side);
  let i = 0;
  for (let z = 0; z < side; z++) {
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++, i++) {
        const d = Math.hypot(
          z - half - offset[0],
          y - half - offset[1],
          x - half - offset[2],
        );
        if (d <= radius + 1 && voxels[i] === pad) return null;
        weights[i] = Math.min(1, Math.max(0, (radius + 1.5 - d) / 1.5));
      }
    }
  }
  return { voxels, weights, side, offset };
}

/**
 * A random place for a pasted nodule of radius `radius` in contact with
 * dense tissue (a vessel, a bronchus wall, the pleura), as the nodules the
 * detector misses are: the voxel and most of the ball are lung parenchyma
 * (below level 150), some of the shell 1–3 mm outside the radius is dense
 * (at least 10 % of 78 samples) and little of it is padding (at most 20 %).
 * Null after 64 tries without one.
 *
 * @param scan the scan to paste into
 * @param radius the nodule's radius (mm = voxels)
 * @param pad the level outside the lungs
 * @param rng draws the places
 * @returns the centre voxel, or null
 */
export function findPasteSite(
  scan: Pick<PreparedScan, "image" | "shape">,
  radius: number,
  pad: number,
  rng: Rng,
): Zyx | null {
  const [D, H, W] = scan.shape;
  const reach = Math.ceil(radius + 4);
  if (D <= 2 * reach || H <= 2 * reach || W <= 2 * reach) return null;
  const at = (z: number, y: number, x: number) =>
    scan.image[(Math.round(z) * H + Math.round(y)) * W + Math.round(x)];
  for (let attempt = 0; attempt < PASTE_TRIES; attempt++) {
    const z = reach + rng.int(D - 2 * reach);
    const y = reach + rng.int(H - 2 * reach);
    const x = reach + rng.int(W - 2 * reach);
    const value = at(z, y, x);
    if (value >= DENSE_LEVEL || value === pad) continue;
    let dense = 0, padded = 0, inner = 0;
    for (const [dz, dy, dx] of NEIGHBOUR_DIRECTIONS) {
      const core = at(
        z + dz * radius * 0.5,
        y + dy * radius * 0.5,
        x + dx * radius * 0.5,
      );
      if (core >= DENSE_LEVEL) inner++;
      for (const r of [radius + 1, radius + 2, radius + 3]) {
        const v = at(z + dz * r, y + dy * r, x + dx * r);
        if (v === pad) padded++;
        else if (v >= DENSE_LEVEL) dense++;
      }
    }
    const samples = 3 * NEIGHBOUR_DIRECTIONS.length;
    if (
      dense >= 0.1 * samples && padded <= 0.2 * samples &&
      inner <= 0.3 * NEIGHBOUR_DIRECTIONS.length
    ) return [z, y, x];
  }
  return null;
}

/**
 * Blends a nodule patch into a crop, in place: where the patch is more than
 * 15 levels brighter than the crop, the crop moves towards it by the
 * patch's weight (1 inside the nodule, fading to 0 1.5 mm outside); elsewhere
 * the crop keeps its voxels, so vessels and parenchyma texture stay.
 *
 * @param crop crop levels, `[size, size, size]` ZYX, changed in place
 * @param size the crop's edge
 * @param patch the nodule ({@linkcode cutNodule})
 * @param at crop voxel of the patch's middle voxel (parts outside the crop are skipped)
 * @example
 * ```ts
 * import { pasteNodule } from "./crops.ts";
 * const crop = new Uint8Array(27).fill(50);
 * const patch = { voxels: new Uint8Array([200]), weights: new Float32Array([1]), side: 1, offset: [0, 0, 0] as const };
 * pasteNodule(crop, 3, patch, [1, 1, 1]);
 * crop[13]; // 200
 * ```
 */
export function pasteNodule(
  crop: Uint8Array,
  size: number,
  patch: NodulePatch,
  at: Zyx,
): void {
  const half = (patch.side - 1) / 2;
  let i = 0;
  for (let z = 0; z < patch.side; z++) {
    const cz = at[0] + z - half;
    for (let y = 0; y < patch.side; y++) {
      const cy = at[1] + y - half;
      for (let x = 0; x < patch.side; x++, i++) {
        const cx = at[2] + x - half;
        const w = patch.weights[i];
        if (
          w === 0 || cz < 0 || cy < 0 || cx < 0 || cz >= size || cy >= size ||
          cx >= size
        ) continue;
        const o = (cz * size + cy) * size + cx;
        const v = patch.voxels[i];
        if (v > crop[o] + PASTE_CONTRAST) {
          crop[o] = Math.round(crop[o] + w * (v - crop[o]));
        }
      }
    }
  }
}

/**
 * Intensity augmentation of a training crop, in place: multiplies the
 * normalised intensities by a contrast factor drawn from
 * `options.contrastRange` and adds Gaussian noise whose standard deviation
 * (in preprocessed levels, 128 levels = 1 normalised unit) is drawn from
 * `options.noiseRange`. Draws nothing when both are off, so crops without
 * it stay as they were for a seed.
 *
 * @param image normalised intensities ((v − 128)/128), changed in place
 * @param options the crop settings (`contrastRange`, `noiseRange`)
 * @param rng the crop's random source
 * @param channels values per voxel of `image`; only the first (the intensity) changes (default 1)
 * @example
 * ```ts
 * import { augmentIntensity } from "./crops.ts";
 * import { createRng } from "../random.ts";
 * const image = new Float32Array([0.5, -0.5]);
 * augmentIntensity(image, { contrastRange: [2, 2] }, createRng(1));
 * image; // Float32Array [1, -1]
 * ```
 */
export function augmentIntensity(
  image: Float32Array,
  options: Pick<CropOptions, "contrastRange" | "noiseRange">,
  rng: Rng,
  channels = 1,
): void {
  const [cLo, cHi] = options.contrastRange ?? [1, 1];
  const [nLo, nHi] = options.noiseRange ?? [0, 0];
  const contrast = cLo === 1 && cHi === 1 ? 1 : rng.uniform(cLo, cHi);
  const sd = nLo === 0 && nHi === 0 ? 0 : rng.uniform(nLo, nHi) / 128;
  // Only the intensities (channel 0 of each voxel) change.
  if (sd === 0) {
    if (contrast !== 1) {
      for (let i = 0; i < image.length; i += channels) image[i] *= contrast;
    }
    return;
  }
  for (let i = 0; i < image.length; i += channels) {
    image[i] = image[i] * contrast + sd * rng.normal();
  }
}

/** The scale of a target crop: U[lo, hi] with lo = min(max(8/d, a), 1), hi = max(min(120/d, b), 1) (§4.4). */
export function drawScale(
  diameter: number,
  range: readonly [number, number],
  rng: Rng,
): number {
  if (range[0] === 1 && range[1] === 1) return 1;
  const lo = Math.min(Math.max(8 / diameter, range[0]), 1);
  const hi = Math.max(Math.min(120 / diameter, range[1]), 1);
  return rng.uniform(lo, hi);
}

/**
 * Start of a target crop of edge `size` so that the nodule sits inside with
 * a margin (§4.3): per axis uniform in
 * [⌈c + r⌉ + 1 + bound − size, ⌊c − r⌋ + 1 − bound); when that range is
 * empty (a very large nodule), ⌊c⌋ − size/2 + U{−6…5}. Without `random`, the
 * crop is centred.
 */
export function targetStart(
  centre: Zyx,
  diameter: number,
  size: number,
  bound: number,
  rng: Rng,
  random: boolean,
): Zyx {
  const r = diameter / 2;
  const out = [0, 0, 0];
  for (let axis = 0; axis < 3; axis++) {
    const c = centre[axis];
    if (!random) {
      out[axis] = Math.round(c - size / 2);
      continue;
    }
    const lo = Math.ceil(c + r) + 1 + bound - size;
    const hi = Math.floor(c - r) + 1 - bound;
    out[axis] = hi > lo
      ? lo + rng.int(hi - lo)
      : Math.floor(c) - Math.floor(size / 2) + rng.int(12) - 6;
  }
  return [out[0], out[1], out[2]];
}

/**
 * Start of a random crop: its centre uniform in
 * [min(size/2, L/2 − bound), max(L − size/2, L/2 + bound)) per axis (§4.3).
 */
export function randomStart(
  shape: Zyx,
  size: number,
  bound: number,
  rng: Rng,
): Zyx {
  const out = [0, 0, 0];
  for (let axis = 0; axis < 3; axis++) {
    const L = shape[axis];
    const lo = Math.min(size / 2, L / 2 - bound);
    const hi = Math.max(L - size / 2, L / 2 + bound);
    const centre = hi > lo ? lo + rng.next() * (hi - lo) : L / 2;
    out[axis] = Math.floor(centre - size / 2);
  }
  return [out[0], out[1], out[2]];
}

function assemble(
  scan: PreparedScan,
  scanIndex: number,
  start: Zyx,
  size: number,
  scale: number,
  target: Cube | null,
  options: CropOptions,
  how: {
    rng: Rng;
    augment: boolean;
    kind: string;
    focus?: Cube | null;
    paste?: { patch: NodulePatch; site: Zyx };
  },
): Crop {
  const S = options.cropSize;
  // Cuts one channel of the scan (pad `pad` outside it) to the S³ crop.
  const cut = (volume: Uint8Array, pad: number, paste: boolean) => {
    const raw = extractCrop(volume, scan.shape, start, [size, size, size], pad);
    if (paste && how.paste) {
      const { patch, site } = how.paste;
      pasteNodule(raw, size, patch, [
        site[0] - start[0],
        site[1] - start[1],
        site[2] - start[2],
      ]);
    }
    if (size === S) return raw;
    // Resize by `scale`, then pad or cut back to S; the amount is computed on
    // z and applied to every axis (§4.4 step 4).
    const scaledSize = Math.round(size * scale);
    const resized = resizeTrilinear(raw, [size, size, size], [
      scaledSize,
      scaledSize,
      scaledSize,
    ]);
    return extractCrop(
      resized,
      [scaledSize, scaledSize, scaledSize],
      [0, 0, 0],
      [S, S, S],
      pad,
    );
  };
  // The blob channel is 0 (no blob) outside the scan.
  const levels = [
    cut(scan.image, options.padValue, true),
    ...(scan.blob ? [cut(scan.blob, 0, false)] : []),
  ];
  // Nodules overlapping the crop, in crop voxels (scaled).
  const shift = (cube: Cube): Cube => ({
    voxel: [
      (cube.voxel[0] - start[0]) * scale,
      (cube.voxel[1] - start[1]) * scale,
      (cube.voxel[2] - start[2]) * scale,
    ],
    diameter: cube.diameter * scale,
  });
  let nodules = scan.nodules
    .filter((cube) =>
      [0, 1, 2].every((axis) =>
        cube.voxel[axis] + cube.diameter / 2 > start[axis] &&
        cube.voxel[axis] - cube.diameter / 2 < start[axis] + size
      )
    )
    .map(shift);
  let shiftedTarget = target ? shift(target) : null;
  let focus = how.focus ? shift(how.focus) : null;
  // Coordinates of the unscaled crop in the scan, per axis (§4.6).
  const g = S / options.stride;
  const axes: Float32Array[] = [0, 1, 2].map((axis) => {
    const L = scan.shape[axis];
    const from = start[axis] / L - 0.5;
    const to = (start[axis] + size) / L - 0.5;
    const line = new Float32Array(g);
    for (let i = 0; i < g; i++) {
      line[i] = g === 1 ? from : from + (to - from) * i / (g - 1);
    }
    return line;
  });
  let channels: Float32Array[] = levels.map((voxels) => {
    const image = new Float32Array(S * S * S);
    for (let i = 0; i < image.length; i++) image[i] = (voxels[i] - 128) / 128;
    return image;
  });
  if (how.augment) {
    // Flips of y and x (never z), p = 0.5 each (§4.5): image, coords and boxes.
    for (const axis of options.flip ? [1, 2] as const : []) {
      if (how.rng.next() < 0.5) {
        channels = channels.map((c) => flipAxis(c, [S, S, S], axis));
        axes[axis] = axes[axis].slice().reverse();
        const flipCube = (cube: Cube): Cube => {
          const voxel = [...cube.voxel] as [number, number, number];
          voxel[axis] = S - 1 - voxel[axis];
          return { voxel, diameter: cube.diameter };
        };
        nodules = nodules.map(flipCube);
        shiftedTarget = shiftedTarget ? flipCube(shiftedTarget) : null;
        focus = focus ? flipCube(focus) : null;
      }
    }
    if (options.swap) {
      const order = permutation3(how.rng);
      if (order[0] !== 0 || order[1] !== 1 || order[2] !== 2) {
        channels = channels.map((c) => permuteAxes(c, S, order));
        const permuted = order.map((a) => axes[a]);
        axes.splice(0, 3, ...permuted);
        const swapCube = (cube: Cube): Cube => ({
          voxel: [
            cube.voxel[order[0]],
            cube.voxel[order[1]],
            cube.voxel[order[2]],
          ],
          diameter: cube.diameter,
        });
        nodules = nodules.map(swapCube);
        shiftedTarget = shiftedTarget ? swapCube(shiftedTarget) : null;
        focus = focus ? swapCube(focus) : null;
      }
    }
  }
  const coord = new Float32Array(g * g * g * 3);
  let o = 0;
  for (let z = 0; z < g; z++) {
    for (let y = 0; y < g; y++) {
      for (let x = 0; x < g; x++) {
        coord[o++] = axes[0][z];
        coord[o++] = axes[1][y];
        coord[o++] = axes[2][x];
      }
    }
  }
  return {
    image: channels.length === 1 ? channels[0] : interleaveChannels(channels),
    coord,
    labels: {
      cropShape: [S, S, S],
      target: shiftedTarget,
      nodules,
      ...(focus ? { focus } : {}),
    },
    source: { scan: scanIndex, start, scale, kind: how.kind },
  };
}

/**
 * Copies the box `[start, start + size)` out of a ZYX volume; voxels outside
 * it take `pad`.
 */
export function extractCrop(
  source: Uint8Array,
  shape: Zyx,
  start: Zyx,
  size: Zyx,
  pad: number,
): Uint8Array {
  const [D, H, W] = shape;
  const [sd, sh, sw] = size;
  const out = new Uint8Array(sd * sh * sw).fill(pad);
  const x0 = Math.max(0, start[2]), x1 = Math.min(W, start[2] + sw);
  if (x1 <= x0) return out;
  for (let z = 0; z < sd; z++) {
    const zz = start[0] + z;
    if (zz < 0 || zz >= D) continue;
    for (let y = 0; y < sh; y++) {
      const yy = start[1] + y;
      if (yy < 0 || yy >= H) continue;
      const from = (zz * H + yy) * W;
      out.set(
        source.subarray(from + x0, from + x1),
        (z * sh + y) * sw + (x0 - start[2]),
      );
    }
  }
  return out;
}

/**
 * Trilinear resize of a uint8 ZYX volume; output voxel j samples input
 * position j·(in/out) with edge clamping, rounded back to uint8.
 */
export function resizeTrilinear(
  source: Uint8Array,
  shape: Zyx,
  target: Zyx,
): Uint8Array {
  const tables = [0, 1, 2].map((axis) => {
    const n = target[axis], m = shape[axis];
    const lo = new Int32Array(n), hi = new Int32Array(n);
    const w = new Float32Array(n);
    const step = m / n;
    for (let j = 0; j < n; j++) {
      const p = Math.min(Math.max(j * step, 0), m - 1);
      lo[j] = Math.floor(p);
      hi[j] = Math.min(lo[j] + 1, m - 1);
      w[j] = p - lo[j];
    }
    return { lo, hi, w };
  });
  const [, H, W] = shape;
  const [d, h, w] = target;
  const out = new Uint8Array(d * h * w);
  const tz = tables[0], ty = tables[1], tx = tables[2];
  let o = 0;
  for (let z = 0; z < d; z++) {
    const z0 = tz.lo[z] * H * W, z1 = tz.hi[z] * H * W, wz = tz.w[z];
    for (let y = 0; y < h; y++) {
      const y0 = ty.lo[y] * W, y1 = ty.hi[y] * W, wy = ty.w[y];
      for (let x = 0; x < w; x++) {
        const x0 = tx.lo[x], x1 = tx.hi[x], wx = tx.w[x];
        const c00 = source[z0 + y0 + x0] * (1 - wx) + source[z0 + y0 + x1] * wx;
        const c01 = source[z0 + y1 + x0] * (1 - wx) + source[z0 + y1 + x1] * wx;
        const c10 = source[z1 + y0 + x0] * (1 - wx) + source[z1 + y0 + x1] * wx;
        const c11 = source[z1 + y1 + x0] * (1 - wx) + source[z1 + y1 + x1] * wx;
        const c0 = c00 * (1 - wy) + c01 * wy;
        const c1 = c10 * (1 - wy) + c11 * wy;
        out[o++] = Math.round(c0 * (1 - wz) + c1 * wz);
      }
    }
  }
  return out;
}

function permutation3(rng: Rng): [number, number, number] {
  const all: [number, number, number][] = [
    [0, 1, 2],
    [0, 2, 1],
    [1, 0, 2],
    [1, 2, 0],
    [2, 0, 1],
    [2, 1, 0],
  ];
  return all[rng.int(6)];
}

/** out[a0, a1, a2] = in[…] where output axis k is input axis order[k]. */
function permuteAxes(
  data: Float32Array,
  S: number,
  order: [number, number, number],
): Float32Array {
  const out = new Float32Array(data.length);
  const strides = [S * S, S, 1];
  const s0 = strides[order[0]], s1 = strides[order[1]], s2 = strides[order[2]];
  let o = 0;
  for (let a = 0; a < S; a++) {
    for (let b = 0; b < S; b++) {
      for (let c = 0; c < S; c++) out[o++] = data[a * s0 + b * s1 + c * s2];
    }
  }
  return out;
}
