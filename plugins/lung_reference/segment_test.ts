import assert from "node:assert/strict";
import {
  createVolume,
  readVolume,
  type Volume,
  worldToVoxel,
  zyxFromXyz,
} from "../../core/mod.ts";
import { generateSyntheticScan } from "../../core/synth/scan.ts";
import { chestPhantom } from "../../core/testing/segmenter_contract.ts";
import {
  sharedDataPath,
  withSharedData,
} from "../../core/testing/shared_data.ts";
import { DEFAULT_SETTINGS, headEnd, neckCut, segmentLungs } from "./segment.ts";

function dice(a: Uint8Array, b: ArrayLike<number>): number {
  let inter = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ? 1 : 0, y = b[i] ? 1 : 0;
    inter += x & y;
    na += x;
    nb += y;
  }
  return (2 * inter) / (na + nb);
}

function insideUnion(
  masks: { union: Volume<Uint8Array> },
  worldMm: readonly [number, number, number],
) {
  const v = worldToVoxel(masks.union, worldMm).map(Math.round);
  const [nz, ny, nx] = masks.union.shape;
  if (
    v[0] < 0 || v[0] >= nz || v[1] < 0 || v[1] >= ny || v[2] < 0 || v[2] >= nx
  ) {
    return false;
  }
  return masks.union.data[(v[0] * ny + v[1]) * nx + v[2]] === 1;
}

Deno.test("headEnd() reads the head end from the direction's z component", () => {
  const v = createVolume(new Int16Array(8), [2, 2, 2]);
  assert.equal(headEnd(v), "high");
  const flipped = createVolume(new Int16Array(8), [2, 2, 2], {
    direction: [-1, 0, 0, 0, 1, 0, 0, 0, 1],
  });
  assert.equal(headEnd(flipped), "low");
});

Deno.test("neckCut() cuts beyond the first slice where the inside air falls under the fraction", () => {
  // Lungs in slices 2–9 (peak 10 000 mm²), airway only (100 mm²) in 10–13,
  // head air again in 14–19.
  const profile = new Float64Array(20);
  for (let z = 2; z < 10; z++) profile[z] = 10000 - 500 * Math.abs(z - 6);
  for (let z = 10; z < 14; z++) profile[z] = 100;
  for (let z = 14; z < 20; z++) profile[z] = 2000;
  // First neck slice 10, keep 2 more (11, 12): cut the 7 slices 13–19.
  assert.equal(neckCut(profile, "high", 0.03, 2), 7);
  // Mirrored: the head is at index 0.
  assert.equal(neckCut(profile.slice().reverse(), "low", 0.03, 2), 7);
  // No neck in view: the walk reaches the end.
  const lungsOnly = new Float64Array(10).fill(5000);
  assert.equal(neckCut(lungsOnly, "high", 0.03, 2), null);
});

Deno.test("segmentLungs() reports one lung when the phantom has one", () => {
  const { volume, labels } = chestPhantom();
  const data = volume.data.slice();
  for (let i = 0; i < data.length; i++) if (labels[i] === 2) data[i] = 40;
  const one = createVolume(data, volume.shape, volume);
  const masks = segmentLungs(one);
  assert.equal(masks.report.lungCount, 1);
  assert.equal(masks.lungs[1].data.reduce((a, b) => a + b, 0), 0);
  assert.ok(masks.report.decisions.some((d) => d.step === "one_lung"));
  assert.ok(dice(masks.union.data, labels.map((l) => l === 1 ? 1 : 0)) > 0.9);
});

Deno.test("segmentLungs() gives the same lungs for a volume stored head first", () => {
  const { volume } = chestPhantom();
  const [nz, ny, nx] = volume.shape;
  const plane = ny * nx;
  const reversed = new Int16Array(volume.data.length);
  for (let z = 0; z < nz; z++) {
    reversed.set(
      volume.data.subarray(z * plane, (z + 1) * plane),
      (nz - 1 - z) * plane,
    );
  }
  const flipped = createVolume(reversed, volume.shape, {
    spacingMm: volume.spacingMm,
    originMm: [
      volume.originMm[0] + (nz - 1) * volume.spacingMm[0],
      volume.originMm[1],
      volume.originMm[2],
    ],
    direction: [-1, 0, 0, 0, 1, 0, 0, 0, 1],
  });
  const a = segmentLungs(volume), b = segmentLungs(flipped);
  const back = new Uint8Array(b.union.data.length);
  for (let z = 0; z < nz; z++) {
    back.set(
      b.union.data.subarray(z * plane, (z + 1) * plane),
      (nz - 1 - z) * plane,
    );
  }
  assert.deepEqual(back, a.union.data);
});

Deno.test("segmentLungs() reaches mean Dice ≥ 0.97 on 20 synthetic scans, with every nodule centre inside and neck-first scans handled without options", () => {
  const dices: number[] = [];
  const missed: string[] = [];
  let necks = 0, juxtapleural = 0;
  for (let seed = 1; seed <= 20; seed++) {
    const scan = generateSyntheticScan(seed, { size: 160, slices: 120 });
    const masks = segmentLungs(scan.volume);
    const d = dice(masks.union.data, scan.lungMask.data);
    dices.push(d);
    if (scan.flags.neckStart) {
      necks++;
      assert.equal(masks.report.lungCount, 2, `neck-first scan ${seed}`);
      assert.ok(d > 0.93, `neck-first scan ${seed}: Dice ${d.toFixed(4)}`);
    }
    for (const nodule of scan.nodules) {
      if (nodule.type === "juxtapleural") juxtapleural++;
      if (!insideUnion(masks, nodule.worldMm)) {
        missed.push(
          `scan ${seed}: ${nodule.type} ${nodule.diameterMm.toFixed(1)} mm`,
        );
      }
    }
    assert.ok(
      masks.report.decisions.some((x) => x.step === "wall_fill"),
      "the wall closing is recorded",
    );
  }
  const mean = dices.reduce((a, b) => a + b, 0) / dices.length;
  assert.ok(
    mean >= 0.97,
    `mean Dice ${mean.toFixed(4)}: ${dices.map((d) => d.toFixed(3)).join(" ")}`,
  );
  assert.deepEqual(missed, []);
  assert.ok(necks > 0, "the 20 scans include neck-first ones");
  assert.ok(juxtapleural > 0, "the 20 scans include juxtapleural nodules");
});

Deno.test("segmentLungs() handles a forced neck-first scan with flipped x/y and padding", () => {
  const scan = generateSyntheticScan(41, {
    size: 160,
    slices: 120,
    flags: { neckStart: true, flippedXY: true, fovPaddingHu: -2048 },
  });
  const masks = segmentLungs(scan.volume);
  assert.equal(masks.report.lungCount, 2);
  assert.ok(dice(masks.union.data, scan.lungMask.data) > 0.95);
});

Deno.test(
  withSharedData(
    "segmentLungs() finds two lungs of 1–4 L in chest4dct_ph00_ds",
    async () => {
      const volume = await readVolume(
        sharedDataPath("real-ct", "chest4dct_ph00_ds.mhd")!,
      );
      const masks = segmentLungs(volume);
      assert.equal(masks.report.lungCount, 2);
      for (const litres of masks.report.lungVolumesL) {
        assert.ok(litres > 1 && litres < 4, `${litres} L`);
      }
    },
  ),
);

Deno.test(
  withSharedData(
    "segmentLungs() keeps both LUNA16 nodule centres of the LIDC slabs inside the mask",
    async () => {
      const csv = await Deno.readTextFile(
        sharedDataPath("real-ct", "slab_annotations.csv")!,
      );
      const rows = csv.trim().split("\n").slice(1).map((line) =>
        line.split(",")
      )
        .filter((r) => r[9] === "yes");
      assert.equal(rows.length, 2);
      for (const r of rows) {
        const volume = await readVolume(sharedDataPath("real-ct", r[0])!);
        const masks = segmentLungs(volume);
        assert.equal(masks.report.lungCount, 2, r[0]);
        const world = zyxFromXyz([Number(r[2]), Number(r[3]), Number(r[4])]);
        assert.ok(
          insideUnion(masks, world),
          `${r[0]}: nodule centre outside the mask`,
        );
        assert.ok(
          masks.report.decisions.some((d) => d.step === "partial_coverage"),
        );
      }
    },
  ),
);

Deno.test(
  withSharedData(
    "segmentLungs() answers the little-lung scan with a clear result",
    async () => {
      const volume = await readVolume(
        sharedDataPath("real-ct", "ts_example_ct_sm.nii.gz")!,
      );
      const masks = segmentLungs(volume);
      if (masks.report.lungCount === 0) {
        assert.match(
          masks.report.emptyReason!,
          /^no lung-like air region: \d+ air components: \d+ touched a corner\/edge probe/,
        );
      } else {
        for (const litres of masks.report.lungVolumesL) assert.ok(litres < 2);
      }
    },
  ),
);

Deno.test("segmentLungs() keeps the defaults it documents", () => {
  assert.deepEqual(DEFAULT_SETTINGS.volumeL, [0.68, 8.2]);
  assert.equal(DEFAULT_SETTINGS.thresholdHu, -600);
  assert.equal(DEFAULT_SETTINGS.distanceMm, 62);
});
