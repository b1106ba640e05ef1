/**
 * The contract every segmenter runs: masks on the input grid with its
 * geometry, 0/1 values, union = lung 1 ∪ lung 2 with disjoint lungs, a
 * filled report, and bad input (empty, all air, all tissue, NaN voxels, two
 * slices) answered by an explicit empty result with its reason or a clear
 * error, never a crash.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createRng } from "../random.ts";
import type { LungMasks, Segmenter } from "../segmenter.ts";
import {
  createVolume,
  type Matrix3,
  type Volume,
  voxelCount,
  type Zyx,
} from "../volume.ts";

/** Options of {@linkcode testSegmenterContract}. */
export interface SegmenterContractOptions {
  /**
   * Whether the segmenter must find both lungs of the contract's phantom
   * (true for real lung segmenters; false for ablations such as a whole-body
   * mask). Default true.
   */
  readonly findsTwoLungs?: boolean;
}

/** A direction with x and y reversed (LUNA16's flipped TransformMatrix). */
const FLIPPED: Matrix3 = [1, 0, 0, 0, -1, 0, 0, 0, -1];

/**
 * A small chest phantom in HU: a soft-tissue body (40 HU) in air
 * (−1000 HU), two ellipsoidal lungs (−850 HU) either side of a mediastinum,
 * seeded noise (sd 15 HU). 6 mm pixels, 5 mm slices, real-size anatomy
 * (each lung about 1.6 L).
 *
 * @param options `slices` (default 48), `seed`, `direction`
 * @returns the volume and its lung labels (1 = patient's right, 2 = left)
 * @example
 * ```ts
 * import { chestPhantom } from "./segmenter_contract.ts";
 * const { volume } = chestPhantom();
 * volume.shape; // [48, 64, 64]
 * ```
 */
export function chestPhantom(
  options: { slices?: number; seed?: number; direction?: Matrix3 } = {},
): { volume: Volume<Int16Array>; labels: Uint8Array } {
  const nz = options.slices ?? 48, ny = 64, nx = 64;
  const spacing: Zyx = [5, 6, 6];
  const rng = createRng(options.seed ?? 1);
  const data = new Int16Array(nz * ny * nx);
  const labels = new Uint8Array(nz * ny * nx);
  const zc = (nz - 1) / 2;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        const i = (z * ny + y) * nx + x;
        // Millimetres from the volume's centre.
        const u = (x - (nx - 1) / 2) * spacing[2];
        const v = (y - (ny - 1) / 2) * spacing[1];
        const h = (z - zc) * spacing[0];
        let hu = -1000;
        if ((u / 160) ** 2 + (v / 110) ** 2 < 1) hu = 40;
        for (const [side, cu] of [[1, -75], [2, 75]]) {
          if (
            ((u - cu) / 50) ** 2 + (v / 70) ** 2 + (h / 110) ** 2 < 1
          ) {
            hu = -850;
            labels[i] = side;
          }
        }
        data[i] = Math.round(hu + 15 * rng.normal());
      }
    }
  }
  const direction = options.direction ?? [1, 0, 0, 0, 1, 0, 0, 0, 1];
  return {
    volume: createVolume(data, [nz, ny, nx], {
      spacingMm: spacing,
      originMm: [-120, 190, 190],
      direction,
    }),
    labels,
  };
}

/**
 * Checks the invariants of a segmentation result against its input: grid,
 * geometry, 0/1 values, union, disjoint lungs, report fields.
 *
 * @param volume the segmented volume
 * @param masks the result
 * @param segmenterId the expected `report.segmenter`
 */
export function assertValidLungMasks(
  volume: Volume,
  masks: LungMasks,
  segmenterId: string,
): void {
  const n = voxelCount(volume.shape);
  for (
    const [name, mask] of [
      ["lungs[0]", masks.lungs[0]],
      ["lungs[1]", masks.lungs[1]],
      ["union", masks.union],
    ] as const
  ) {
    assert.ok(mask.data instanceof Uint8Array, `${name} is a Uint8Array`);
    assert.deepEqual(mask.shape, volume.shape, `${name} shape`);
    assert.deepEqual(mask.spacingMm, volume.spacingMm, `${name} spacing`);
    assert.deepEqual(mask.originMm, volume.originMm, `${name} origin`);
    assert.deepEqual(mask.direction, volume.direction, `${name} direction`);
    assert.equal(mask.data.length, n, `${name} length`);
  }
  const [a, b, u] = [
    masks.lungs[0].data,
    masks.lungs[1].data,
    masks.union.data,
  ];
  let countA = 0, countB = 0;
  for (let i = 0; i < n; i++) {
    if (a[i] > 1 || b[i] > 1 || u[i] > 1) {
      assert.fail(`voxel ${i} is not 0/1: ${a[i]}, ${b[i]}, ${u[i]}`);
    }
    if (a[i] & b[i]) assert.fail(`voxel ${i} is in both lungs`);
    if (u[i] !== (a[i] | b[i])) assert.fail(`union differs at voxel ${i}`);
    countA += a[i];
    countB += b[i];
  }
  const report = masks.report;
  assert.equal(report.segmenter, segmenterId);
  assert.ok(Array.isArray(report.decisions));
  for (const d of report.decisions) {
    assert.equal(typeof d.step, "string");
    assert.ok(d.detail.length > 0, `decision "${d.step}" has a detail`);
  }
  const lungCount = (countA > 0 ? 1 : 0) + (countB > 0 ? 1 : 0);
  assert.equal(report.lungCount, lungCount, "lungCount");
  assert.ok(countA > 0 || countB === 0, "an empty first lung with a second");
  assert.equal(report.lungVolumesL.length, 2);
  const voxelL = volume.spacingMm[0] * volume.spacingMm[1] *
    volume.spacingMm[2] / 1e6;
  assert.ok(Math.abs(report.lungVolumesL[0] - countA * voxelL) < 1e-9);
  assert.ok(Math.abs(report.lungVolumesL[1] - countB * voxelL) < 1e-9);
  if (lungCount === 0) {
    assert.ok(
      typeof report.emptyReason === "string" && report.emptyReason.length > 0,
      "an empty result says why",
    );
  } else {
    assert.equal(report.emptyReason, undefined);
  }
}

// Runs `segment`; an error must be a clear one (an Error with a one-line
// message), and a result must be valid and, if empty, say why.
async function segmentOrClearError(
  segmenter: Segmenter,
  volume: Volume,
  id: string,
): Promise<LungMasks | Error> {
  try {
    const masks = await segmenter.segment(volume);
    assertValidLungMasks(volume, masks, id);
    return masks;
  } catch (error) {
    if (error instanceof assert.AssertionError) throw error;
    assert.ok(error instanceof Error, "throws an Error");
    assert.ok(error.message.length > 0, "with a message");
    assert.ok(
      !/undefined|cannot read prop|is not a function/i.test(error.message),
      `a clear message, not a crash: ${error.message}`,
    );
    return error;
  }
}

function emptyOrError(result: LungMasks | Error, what: string): void {
  if (result instanceof Error) return;
  assert.equal(result.report.lungCount, 0, `${what}: no lung`);
  assert.ok(result.report.emptyReason, `${what}: emptyReason`);
}

/**
 * Registers the contract tests of a segmenter with `Deno.test`.
 *
 * @param id the plugin id (names the tests, and `report.segmenter`)
 * @param create builds the segmenter under test
 * @param options what the segmenter is expected to find
 * @example
 * ```ts ignore
 * import { testSegmenterContract } from "./segmenter_contract.ts";
 * testSegmenterContract("threshold_only", () => thresholdOnly.create({}, testPluginContext()));
 * ```
 */
export function testSegmenterContract(
  id: string,
  create: () => Segmenter,
  options: SegmenterContractOptions = {},
): void {
  const twoLungs = options.findsTwoLungs ?? true;

  Deno.test(`${id}: masks lie on the input grid with its geometry`, async () => {
    for (const direction of [undefined, FLIPPED]) {
      const { volume, labels } = chestPhantom({ direction });
      const masks = await create().segment(volume);
      assertValidLungMasks(volume, masks, id);
      assert.ok(masks.report.lungCount >= 1, "finds something in the phantom");
      // Every phantom lung voxel is in the union (the lungs are plain air).
      let missed = 0, total = 0;
      for (let i = 0; i < labels.length; i++) {
        if (labels[i]) {
          total++;
          if (!masks.union.data[i]) missed++;
        }
      }
      assert.ok(
        missed < 0.1 * total,
        `misses ${missed} of ${total} lung voxels`,
      );
      if (twoLungs) {
        assert.equal(masks.report.lungCount, 2);
        // Each lung mask lies on one side: it holds one phantom lung.
        for (const lung of masks.lungs) {
          const seen = new Set<number>();
          for (let i = 0; i < labels.length; i++) {
            if (lung.data[i] && labels[i]) seen.add(labels[i]);
          }
          assert.equal(seen.size, 1);
        }
      }
    }
  });

  Deno.test(`${id}: an empty volume gives an empty result or a clear error`, async () => {
    const volume = createVolume(new Int16Array(0), [0, 64, 64]);
    emptyOrError(await segmentOrClearError(create(), volume, id), "empty");
  });

  Deno.test(`${id}: an all-air volume gives an empty result or a clear error`, async () => {
    const volume = createVolume(
      new Int16Array(24 * 32 * 32).fill(-1000),
      [24, 32, 32],
      { spacingMm: [5, 8, 8] },
    );
    emptyOrError(await segmentOrClearError(create(), volume, id), "all air");
  });

  Deno.test(`${id}: an all-tissue volume gives an empty result or a clear error`, async () => {
    const volume = createVolume(
      new Int16Array(24 * 32 * 32).fill(40),
      [24, 32, 32],
      { spacingMm: [5, 8, 8] },
    );
    emptyOrError(await segmentOrClearError(create(), volume, id), "all tissue");
  });

  Deno.test(`${id}: NaN voxels give a clear error`, async () => {
    const { volume } = chestPhantom({ slices: 8 });
    const data = Float32Array.from(volume.data);
    data[5] = NaN;
    const bad = createVolume(data, volume.shape, volume);
    await assert.rejects(
      () => create().segment(bad),
      (error: Error) => /NaN/.test(error.message),
    );
  });

  Deno.test(`${id}: a two-slice volume is handled without a crash`, async () => {
    const { volume } = chestPhantom();
    const [nz, ny, nx] = volume.shape;
    const mid = Math.floor(nz / 2) * ny * nx;
    const two = createVolume(
      volume.data.slice(mid, mid + 2 * ny * nx),
      [2, ny, nx],
      volume,
    );
    await segmentOrClearError(create(), two, id);
  });
}
