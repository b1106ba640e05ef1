import assert from "node:assert/strict";
import { createRng } from "../random.ts";
import type { Zyx } from "../volume.ts";
import {
  augmentIntensity,
  buildSampleList,
  type CropOptions,
  cutNodule,
  drawScale,
  epochLength,
  extractCrop,
  findPasteSite,
  makeCrop,
  pasteNodule,
  type PreparedScan,
  randomStart,
  resizeTrilinear,
  targetStart,
} from "./crops.ts";

const OPTIONS: CropOptions = {
  cropSize: 32,
  stride: 4,
  boundSize: 4,
  padValue: 170,
  randomFraction: 0.3,
  scaleRange: [0.75, 1.25],
  flip: true,
  swap: true,
};

/** {@linkcode OPTIONS} without scaling, flips or swaps: crops cut where they are. */
const PLAIN: CropOptions = {
  ...OPTIONS,
  scaleRange: [1, 1],
  flip: false,
  swap: false,
};

/** A 48³ scan of value 20 with a bright (250) ball at each nodule. */
function scanWithBalls(
  nodules: { voxel: Zyx; diameter: number }[],
): PreparedScan {
  const shape: Zyx = [48, 48, 48];
  const image = new Uint8Array(48 ** 3).fill(20);
  for (let z = 0; z < 48; z++) {
    for (let y = 0; y < 48; y++) {
      for (let x = 0; x < 48; x++) {
        for (const n of nodules) {
          const d2 = (z - n.voxel[0]) ** 2 + (y - n.voxel[1]) ** 2 +
            (x - n.voxel[2]) ** 2;
          if (d2 <= (n.diameter / 2) ** 2) image[(z * 48 + y) * 48 + x] = 250;
        }
      }
    }
  }
  return { seriesuid: "s", image, shape, nodules };
}

Deno.test("buildSampleList() repeats each nodule by its size band", () => {
  const scans = [
    scanWithBalls([{ voxel: [10, 10, 10], diameter: 4 }]),
    scanWithBalls([
      { voxel: [20, 20, 20], diameter: 12 },
      { voxel: [30, 30, 30], diameter: 40 },
      { voxel: [30, 30, 30], diameter: 150 },
    ]),
  ];
  const list = buildSampleList(scans, [
    { min_mm: 0, max_mm: 10, copies: 4 },
    { min_mm: 10, max_mm: 30, copies: 3 },
    { min_mm: 30, max_mm: 100, copies: 1 },
  ]);
  // 4 (4 mm) + 3 (12 mm) + 1 (40 mm) + 0 (150 mm, outside every band).
  assert.equal(list.length, 8);
  assert.deepEqual(list.map((e) => e.scan), [0, 0, 0, 0, 1, 1, 1, 1]);
  assert.ok(list.every((e) => e.kind === "nodule"));
});

Deno.test("epochLength() adds the random-crop share", () => {
  assert.equal(epochLength(70, 0.3, 5), 100);
  assert.equal(epochLength(7, 0.3, 5), 10);
  assert.equal(epochLength(0, 0.3, 5), 5);
});

Deno.test("drawScale() keeps scaled diameters within [8, 120] mm where it can", () => {
  const rng = createRng(1);
  for (let i = 0; i < 500; i++) {
    const small = drawScale(4, [0.75, 1.25], rng);
    // 8/4 = 2 > 1: lo = min(2, 1) = 1 and hi = max(min(30, 1.25), 1) = 1.25.
    assert.ok(small >= 1 && small <= 1.25);
    const large = drawScale(200, [0.75, 1.25], rng);
    // 120/200 = 0.6: lo = 0.75, hi = max(0.6, 1) = 1.
    assert.ok(large >= 0.75 && large <= 1);
  }
  assert.equal(drawScale(10, [1, 1], rng), 1);
});

Deno.test("targetStart() keeps the nodule inside the crop with the bound margin", () => {
  const rng = createRng(2);
  for (let i = 0; i < 1000; i++) {
    const centre: Zyx = [rng.uniform(20, 80), rng.uniform(20, 80), 50.5];
    const d = rng.uniform(3, 30);
    const start = targetStart(centre, d, 64, 12, rng, true);
    for (let axis = 0; axis < 3; axis++) {
      assert.ok(centre[axis] - d / 2 - start[axis] >= 12 - 1);
      assert.ok(start[axis] + 64 - (centre[axis] + d / 2) >= 12 - 1);
    }
  }
  // Too large for the margin: centred with a jitter of −6…5.
  const start = targetStart([50, 50, 50], 60, 64, 12, rng, true);
  for (const s of start) assert.ok(s >= 50 - 32 - 6 && s <= 50 - 32 + 5);
  assert.deepEqual(targetStart([50, 40, 30], 10, 64, 12, rng, false), [
    18,
    8,
    -2,
  ]);
});

Deno.test("randomStart() keeps the crop centre inside the scan", () => {
  const rng = createRng(3);
  for (let i = 0; i < 500; i++) {
    const start = randomStart([40, 200, 300], 64, 12, rng);
    const centres = start.map((s) => s + 32);
    assert.ok(centres[0] >= 8 && centres[0] <= 32); // min(32, 8) … max(8, 32)
    assert.ok(centres[1] >= 32 && centres[1] <= 168);
    assert.ok(centres[2] >= 32 && centres[2] <= 268);
  }
});

Deno.test("extractCrop() copies inside the scan and pads outside", () => {
  // 2×2×3 volume with values 0…11.
  const source = Uint8Array.from({ length: 12 }, (_, i) => i);
  const crop = extractCrop(source, [2, 2, 3], [1, -1, 1], [2, 2, 2], 170);
  // z=1 of the source, y from -1 (pad) and 0, x from 1 and 2.
  assert.deepEqual([...crop], [170, 170, 7, 8, 170, 170, 170, 170]);
});

Deno.test("resizeTrilinear() keeps constants and interpolates ramps", () => {
  const flat = new Uint8Array(27).fill(90);
  assert.ok(
    resizeTrilinear(flat, [3, 3, 3], [5, 5, 5]).every((v) => v === 90),
  );
  // A ramp along x: 0, 10, 20, 30 → half size samples positions 0 and 2.
  const ramp = Uint8Array.from({ length: 4 }, (_, i) => i * 10);
  assert.deepEqual([...resizeTrilinear(ramp, [1, 1, 4], [1, 1, 2])], [0, 20]);
  // Double size samples 0, 0.5, 1, …, 3.5 (clamped): 0 5 10 15 20 25 30 30.
  assert.deepEqual([...resizeTrilinear(ramp, [1, 1, 4], [1, 1, 8])], [
    0,
    5,
    10,
    15,
    20,
    25,
    30,
    30,
  ]);
});

Deno.test("makeCrop() places the target where the image shows it, through scale, flips and swaps", () => {
  const scan = scanWithBalls([{ voxel: [22, 25, 19], diameter: 8 }]);
  const list = buildSampleList([scan], [{ min_mm: 0, max_mm: 100, copies: 1 }]);
  const rng = createRng(4);
  const S = OPTIONS.cropSize;
  for (let i = 0; i < 40; i++) {
    const crop = makeCrop([scan], list, 0, OPTIONS, rng, true);
    const target = crop.labels.target!;
    assert.ok(
      target.diameter >= 8 * 0.99 && target.diameter <= 8 * 1.25 + 1e-9,
    );
    const [z, y, x] = target.voxel.map(Math.round);
    const value = crop.image[(z * S + y) * S + x];
    assert.ok(value > 0.7, `crop ${i}: value at target ${value}`);
    assert.equal(crop.labels.nodules.length, 1);
    assert.equal(crop.image.length, S ** 3);
    assert.equal(crop.coord.length, (S / 4) ** 3 * 3);
  }
});

Deno.test("makeCrop() carries a hard negative's false positive as the crop's focus, through flips and swaps", () => {
  // The "false positive" is a bright ball that is not a nodule of the scan.
  const scan = { ...scanWithBalls([{ voxel: [24, 20, 27], diameter: 6 }]) };
  const fp = { ...scan, nodules: [] };
  const list = [{
    scan: 0,
    centre: [24, 20, 27] as Zyx,
    diameter: 6,
    kind: "hard_negative" as const,
  }];
  const rng = createRng(5);
  const S = OPTIONS.cropSize;
  for (let i = 0; i < 40; i++) {
    const crop = makeCrop([fp], list, 0, OPTIONS, rng, true);
    assert.equal(crop.labels.target, null);
    const focus = crop.labels.focus!;
    assert.equal(focus.diameter, 6, "hard negatives are not rescaled");
    const [z, y, x] = focus.voxel.map(Math.round);
    const value = crop.image[(z * S + y) * S + x];
    assert.ok(value > 0.7, `crop ${i}: value at the focus ${value}`);
  }
  const nodule = makeCrop(
    [scan],
    buildSampleList([scan], [{ min_mm: 0, max_mm: 100, copies: 1 }]),
    0,
    OPTIONS,
    rng,
    true,
  );
  assert.equal(nodule.labels.focus, undefined, "target crops have no focus");
});

Deno.test("makeCrop() gives unaugmented crops their coordinates in the scan", () => {
  const scan = scanWithBalls([{ voxel: [24, 24, 24], diameter: 6 }]);
  const list = buildSampleList([scan], [{ min_mm: 0, max_mm: 100, copies: 1 }]);
  const crop = makeCrop([scan], list, 0, OPTIONS, createRng(5), false);
  assert.deepEqual(crop.source.start, [8, 8, 8]);
  assert.deepEqual(crop.labels.target, { voxel: [16, 16, 16], diameter: 6 });
  // Coord cell 0 is start/L − 0.5 and cell 7 is (start + S)/L − 0.5 on each axis.
  const g = 8;
  const at = (z: number, y: number, x: number, c: number) =>
    crop.coord[((z * g + y) * g + x) * 3 + c];
  assert.ok(Math.abs(at(0, 0, 0, 0) - (8 / 48 - 0.5)) < 1e-6);
  assert.ok(Math.abs(at(7, 0, 0, 0) - (40 / 48 - 0.5)) < 1e-6);
  assert.ok(Math.abs(at(0, 7, 3, 1) - (40 / 48 - 0.5)) < 1e-6);
  assert.ok(
    Math.abs(at(0, 7, 3, 2) - (8 / 48 - 0.5 + (32 / 48) * 3 / 7)) < 1e-6,
  );
  // Normalisation: (20 − 128)/128 away from the ball.
  assert.ok(Math.abs(crop.image[0] - (20 - 128) / 128) < 1e-6);
});

Deno.test("makeCrop() makes random crops without a target", () => {
  const scans = [
    scanWithBalls([]),
    scanWithBalls([{ voxel: [24, 24, 24], diameter: 6 }]),
  ];
  const list = buildSampleList(scans, [{ min_mm: 0, max_mm: 100, copies: 1 }]);
  const rng = createRng(6);
  for (let i = 0; i < 20; i++) {
    const crop = makeCrop(scans, list, list.length + i, OPTIONS, rng, true);
    assert.equal(crop.labels.target, null);
    assert.equal(crop.source.kind, "random");
  }
});

Deno.test("augmentIntensity() scales by the contrast factor and adds noise of the drawn SD", () => {
  // Contrast alone: every value times the factor (hand computed).
  const image = new Float32Array([0.5, -0.25, 0, 1]);
  augmentIntensity(image, { contrastRange: [2, 2] }, createRng(1));
  assert.deepEqual([...image], [1, -0.5, 0, 2]);
  // Noise alone, SD 6.4 levels = 0.05 normalised: sample mean and SD of
  // 200,000 voxels within a few standard errors.
  const zeros = new Float32Array(200_000);
  augmentIntensity(zeros, { noiseRange: [6.4, 6.4] }, createRng(2));
  let sum = 0, sq = 0;
  for (const v of zeros) {
    sum += v;
    sq += v * v;
  }
  const mean = sum / zeros.length;
  const sd = Math.sqrt(sq / zeros.length - mean * mean);
  assert.ok(Math.abs(mean) < 0.0005, `mean ${mean}`);
  assert.ok(Math.abs(sd - 0.05) < 0.0005, `sd ${sd}`);
});

Deno.test("augmentIntensity() off leaves the crop and the random stream untouched", () => {
  const image = new Float32Array([0.5, -0.25]);
  const rng = createRng(3), twin = createRng(3);
  augmentIntensity(image, {}, rng);
  augmentIntensity(image, { contrastRange: [1, 1], noiseRange: [0, 0] }, rng);
  assert.deepEqual([...image], [0.5, -0.25]);
  assert.equal(rng.next(), twin.next());
});

Deno.test("makeCrop() applies the intensity augmentation to training crops of both kinds, never to unaugmented ones", () => {
  const scans = [scanWithBalls([{ voxel: [24, 24, 24], diameter: 6 }])];
  const list = buildSampleList(scans, [{ min_mm: 0, max_mm: 100, copies: 1 }]);
  const doubled = { ...PLAIN, contrastRange: [2, 2] as [number, number] };
  for (const index of [0, list.length]) {
    // Same seed: the crop is cut at the same place; the factor is drawn after.
    const a = makeCrop(scans, list, index, PLAIN, createRng(7), true);
    const b = makeCrop(scans, list, index, doubled, createRng(7), true);
    assert.equal(b.source.kind, index === 0 ? "nodule" : "random");
    assert.deepEqual([...b.image], [...a.image].map((v) => 2 * v));
  }
  // Evaluation crops (training false) are never changed.
  const a = makeCrop(scans, list, 0, PLAIN, createRng(8), false);
  const b = makeCrop(scans, list, 0, doubled, createRng(8), false);
  assert.deepEqual(b.image, a.image);
});

/** The axes (z, y) of the rods of {@linkcode scanWithRods}: along x. */
const RODS = [8, 20, 32].flatMap((z) => [8, 20, 32].map((y) => [z, y]));

/** Distance of (z, y) to the nearest rod's axis. */
const rodDistance = (z: number, y: number) =>
  Math.min(...RODS.map(([rz, ry]) => Math.hypot(z - rz, y - ry)));

/**
 * A 48³ scan of parenchyma (level 40) with nine dense rods (200, radius 1.5)
 * along x ({@linkcode RODS}), and a bright ball (250) for each nodule.
 */
function scanWithRods(nodules: { voxel: Zyx; diameter: number }[]) {
  const scan = scanWithBalls(nodules);
  const image = scan.image;
  for (let z = 0; z < 48; z++) {
    for (let y = 0; y < 48; y++) {
      const rod = rodDistance(z, y) <= 1.5;
      for (let x = 0; x < 48; x++) {
        const i = (z * 48 + y) * 48 + x;
        if (image[i] === 20) image[i] = rod ? 200 : 40;
      }
    }
  }
  return scan;
}

Deno.test("pasteNodule() moves brighter voxels towards the patch by its weight and keeps the rest", () => {
  // Patch of 3³ at crop voxel (1, 1, 1) of a 3³ crop: the middle voxel has
  // weight 1, the first 0.5; the last is not brighter than the crop there.
  const crop = new Uint8Array(27).fill(50);
  crop[26] = 190;
  const voxels = new Uint8Array(27).fill(60);
  voxels[13] = 200;
  voxels[0] = 150;
  voxels[26] = 200;
  const weights = new Float32Array(27).fill(1);
  weights[0] = 0.5;
  pasteNodule(crop, 3, { voxels, weights, side: 3, offset: [0, 0, 0] }, [
    1,
    1,
    1,
  ]);
  assert.equal(crop[13], 200);
  assert.equal(crop[0], 100); // 50 + 0.5 · (150 − 50)
  assert.equal(crop[26], 190); // 200 is not 15 levels above 190
  assert.equal(crop[1], 50); // 60 is not 15 levels above 50
  // A patch hanging over the crop's edge writes only inside.
  const edge = new Uint8Array(8).fill(50);
  pasteNodule(edge, 2, { voxels, weights, side: 3, offset: [0, 0, 0] }, [
    0,
    0,
    0,
  ]);
  assert.deepEqual(
    [...edge],
    [200, 60, 60, 60, 60, 60, 60, 200].map((v) => v > 65 ? v : 50),
  );
});

Deno.test("cutNodule() cuts a ball with its sub-voxel offset and refuses padding and edges", () => {
  const scan = scanWithBalls([{ voxel: [24, 24, 24], diameter: 6 }]);
  const patch = cutNodule(scan, [24.25, 24, 23.75], 3, 170)!;
  // Edge 2·⌈3 + 1.5⌉ + 1 = 11, middle voxel (24, 24, 24).
  assert.equal(patch.side, 11);
  assert.deepEqual(patch.offset, [0.25, 0, -0.25]);
  assert.equal(patch.voxels[(5 * 11 + 5) * 11 + 5], 250);
  assert.equal(patch.weights[(5 * 11 + 5) * 11 + 5], 1);
  assert.equal(patch.weights[0], 0); // a corner, √75 ≈ 8.7 voxels out
  // Centre 0.25 before voxel x = 24: voxel x = 27 lies 3.25 from it, weight
  // (3 + 1.5 − 3.25) / 1.5 = 5/6.
  const shifted = cutNodule(scan, [24, 24, 23.75], 3, 170)!;
  const i = (5 * 11 + 5) * 11 + 8;
  assert.ok(Math.abs(shifted.weights[i] - 5 / 6) < 1e-6);
  assert.equal(cutNodule(scan, [2, 24, 24], 3, 170), null);
  // Padding (170) 3.5 voxels from the centre: within radius + 1.
  const padded = scanWithBalls([{ voxel: [24, 24, 24], diameter: 6 }]);
  padded.image[(24 * 48 + 24) * 48 + 27] = 170;
  assert.equal(cutNodule(padded, [24, 24, 23.5], 3, 170), null);
});

Deno.test("findPasteSite() returns parenchyma places in contact with dense tissue, or null where there is none", () => {
  const scan = scanWithRods([]);
  for (let seed = 0; seed < 20; seed++) {
    const site = findPasteSite(scan, 2, 170, createRng(seed));
    assert.ok(site, `seed ${seed}`);
    const [z, y, x] = site;
    assert.ok(scan.image[(z * 48 + y) * 48 + x] < 150);
    // Some shell sample (radius 3–5 from the site) lies in a rod (radius
    // 1.5), so the site is within 5 + 1.5 + rounding of a rod's axis.
    const axis = rodDistance(z, y);
    assert.ok(axis > 1.5 && axis < 7.5, `distance ${axis}`);
  }
  const empty = scanWithBalls([]);
  assert.equal(findPasteSite(empty, 2, 170, createRng(1)), null);
  const pad = {
    image: new Uint8Array(48 ** 3).fill(170),
    shape: [48, 48, 48] as Zyx,
  };
  assert.equal(findPasteSite(pad, 2, 170, createRng(1)), null);
});

Deno.test("makeCrop() with paste 1 puts the nodule next to the rod and targets it; paste 0 draws nothing", () => {
  const scans = [scanWithRods([{ voxel: [26, 26, 34], diameter: 6 }])];
  const list = buildSampleList(scans, [{ min_mm: 0, max_mm: 100, copies: 1 }]);
  for (let seed = 0; seed < 5; seed++) {
    const crop = makeCrop(
      scans,
      list,
      0,
      { ...PLAIN, pasteFraction: 1 },
      createRng(seed),
      true,
    );
    assert.equal(crop.source.kind, "pasted");
    const target = crop.labels.target!;
    assert.equal(target.diameter, 6);
    assert.ok(
      crop.labels.nodules.some((n) =>
        n.diameter === 6 && n.voxel.every((v, axis) => v === target.voxel[axis])
      ),
    );
    // The ball's level at the target, next to the rod in scan voxels.
    const [z, y, x] = target.voxel.map(Math.round);
    assert.equal(crop.image[(z * 32 + y) * 32 + x], (250 - 128) / 128);
    const scanZ = crop.source.start[0] + target.voxel[0];
    const scanY = crop.source.start[1] + target.voxel[1];
    assert.ok(rodDistance(scanZ, scanY) < 7.5);
  }
  // paste 0: the same crop and random stream as without the option.
  const rng = createRng(4), twin = createRng(4);
  const a = makeCrop(scans, list, 0, { ...PLAIN, pasteFraction: 0 }, rng, true);
  const b = makeCrop(scans, list, 0, PLAIN, twin, true);
  assert.deepEqual(a, b);
  assert.equal(rng.next(), twin.next());
});

Deno.test("makeCrop() cuts a scan's blob channel with the same scale, flips and swap as its image", () => {
  // Image and blob are two different ramps; a scan whose image is the blob
  // ramp, cut with the same random stream, must give channel 1. Pad 0 for
  // both, since the blob channel pads with 0 (no blob) outside the scan.
  const options: CropOptions = { ...OPTIONS, padValue: 0 };
  const base = scanWithBalls([{ voxel: [24, 20, 28], diameter: 8 }]);
  const blob = new Uint8Array(base.image.length);
  for (let i = 0; i < blob.length; i++) blob[i] = (i * 7) % 251;
  const withBlob: PreparedScan = { ...base, blob };
  const blobAsImage: PreparedScan = { ...base, image: blob };
  const list = buildSampleList([withBlob], [
    { min_mm: 0, max_mm: 100, copies: 1 },
  ]);
  const S = options.cropSize;
  for (let seed = 0; seed < 6; seed++) {
    for (const index of [0, 1, 2]) {
      const two = makeCrop(
        [withBlob],
        list,
        index,
        options,
        createRng(seed),
        true,
      );
      const image = makeCrop(
        [base],
        list,
        index,
        options,
        createRng(seed),
        true,
      );
      const other = makeCrop(
        [blobAsImage],
        list,
        index,
        options,
        createRng(seed),
        true,
      );
      assert.equal(two.image.length, 2 * S ** 3);
      for (let i = 0; i < S ** 3; i++) {
        assert.equal(two.image[2 * i], image.image[i]);
        assert.equal(two.image[2 * i + 1], other.image[i]);
      }
      assert.deepEqual(two.labels, image.labels);
      assert.deepEqual(two.coord, image.coord);
    }
  }
});

Deno.test("makeCrop() augments the intensity of a two-channel crop and leaves its blob channel alone", () => {
  const base = scanWithBalls([{ voxel: [24, 24, 24], diameter: 8 }]);
  const blob = new Uint8Array(base.image.length).fill(200);
  const scan: PreparedScan = { ...base, blob };
  const list = buildSampleList([scan], [{ min_mm: 0, max_mm: 100, copies: 1 }]);
  const contrast: CropOptions = { ...PLAIN, contrastRange: [2, 2] };
  const crop = makeCrop([scan], list, 0, contrast, createRng(3), true);
  const plain = makeCrop([scan], list, 0, PLAIN, createRng(3), true);
  for (let i = 0; i < crop.image.length; i += 2) {
    assert.equal(crop.image[i], 2 * plain.image[i]);
    // Inside the scan the blob is 200: (200 − 128)/128.
    assert.equal(crop.image[i + 1], plain.image[i + 1]);
  }
  assert.ok(plain.image.some((v, i) => i % 2 === 1 && v === 72 / 128));
});

Deno.test("makeCrop() with blobDropout 1 blanks the blob channel of training crops; 0 draws nothing", () => {
  const base = scanWithBalls([{ voxel: [24, 24, 24], diameter: 8 }]);
  const scan: PreparedScan = {
    ...base,
    blob: new Uint8Array(base.image.length).fill(200),
  };
  const list = buildSampleList([scan], [{ min_mm: 0, max_mm: 100, copies: 1 }]);
  const plainRng = createRng(5);
  const plain = makeCrop([scan], list, 0, PLAIN, plainRng, true);
  const offRng = createRng(5);
  const off = makeCrop(
    [scan],
    list,
    0,
    { ...PLAIN, blobDropout: 0 },
    offRng,
    true,
  );
  assert.deepEqual(off.image, plain.image);
  assert.equal(offRng.next(), plainRng.next());
  const dropped = makeCrop(
    [scan],
    list,
    0,
    { ...PLAIN, blobDropout: 1 },
    createRng(5),
    true,
  );
  for (let i = 0; i < dropped.image.length; i += 2) {
    assert.equal(dropped.image[i], plain.image[i]);
    assert.equal(dropped.image[i + 1], -1);
  }
  // Unaugmented crops keep their blob channel.
  const kept = makeCrop(
    [scan],
    list,
    0,
    { ...PLAIN, blobDropout: 1 },
    createRng(5),
    false,
  );
  assert.ok(kept.image.some((v, i) => i % 2 === 1 && v === 72 / 128));
});
