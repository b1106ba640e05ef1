import assert from "node:assert/strict";
import { createVolume } from "../../core/mod.ts";
import { chestPhantom } from "../../core/testing/segmenter_contract.ts";
import { thresholdLungs } from "./threshold.ts";

const SETTINGS = { thresholdHu: -600, maxComponents: 2, minVolumeMl: 50 };

Deno.test("thresholdLungs() keeps the two phantom lungs exactly and drops the outside air", () => {
  const { volume, labels } = chestPhantom();
  const masks = thresholdLungs(volume, SETTINGS);
  assert.equal(masks.report.lungCount, 2);
  // No blur: every voxel below −600 HU inside the body is lung, and the
  // phantom's lungs (−850 ± noise) are exactly its labelled voxels.
  for (let i = 0; i < labels.length; i++) {
    assert.equal(masks.union.data[i], labels[i] ? 1 : 0, `voxel ${i}`);
  }
});

Deno.test("thresholdLungs() drops components under the minimum volume and keeps one when told", () => {
  const [nz, ny, nx] = [6, 10, 10];
  const hu = new Int16Array(nz * ny * nx).fill(40);
  // 1 mL voxels: a 4 × 4 × 4 air cube (64 mL) and a 2 × 2 × 2 one (8 mL).
  for (let z = 1; z < 5; z++) {
    for (let y = 2; y < 6; y++) {
      for (let x = 2; x < 6; x++) hu[(z * ny + y) * nx + x] = -1000;
    }
  }
  for (let z = 1; z < 3; z++) {
    for (let y = 7; y < 9; y++) {
      for (let x = 7; x < 9; x++) hu[(z * ny + y) * nx + x] = -1000;
    }
  }
  const volume = createVolume(hu, [nz, ny, nx], { spacingMm: [10, 10, 10] });
  const both = thresholdLungs(volume, { ...SETTINGS, minVolumeMl: 1 });
  assert.deepEqual(both.report.lungVolumesL, [0.064, 0.008]);
  const big = thresholdLungs(volume, { ...SETTINGS, minVolumeMl: 10 });
  assert.deepEqual(big.report.lungVolumesL, [0.064, 0]);
  const one = thresholdLungs(volume, {
    ...SETTINGS,
    minVolumeMl: 1,
    maxComponents: 1,
  });
  assert.equal(one.report.lungCount, 1);
  assert.ok(one.report.decisions.some((d) => d.step === "one_component"));
});

Deno.test("thresholdLungs() explains an empty result", () => {
  const volume = createVolume(new Int16Array(27).fill(-1000), [3, 3, 3]);
  const masks = thresholdLungs(volume, SETTINGS);
  assert.equal(masks.report.lungCount, 0);
  assert.match(
    masks.report.emptyReason!,
    /^no air component inside the body: 1 air components below -600 HU: 1 touch the volume sides/,
  );
});
