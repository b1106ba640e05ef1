import assert from "node:assert/strict";
import { lungMasksFrom } from "../lung_masks.ts";
import { assertValidLungMasks, chestPhantom } from "./segmenter_contract.ts";
import { createVolume } from "../volume.ts";

Deno.test("chestPhantom() has two lungs of about 1.6 L either side of the midline", () => {
  const { volume, labels } = chestPhantom();
  const voxelL = 5 * 6 * 6 / 1e6;
  for (const side of [1, 2]) {
    let n = 0, sumX = 0;
    for (let i = 0; i < labels.length; i++) {
      if (labels[i] === side) {
        n++;
        sumX += i % 64;
      }
    }
    // 4/3·π·50·70·110 mm³ = 1.61 L
    assert.ok(Math.abs(n * voxelL - 1.61) < 0.1, `${n * voxelL} L`);
    assert.ok(side === 1 ? sumX / n < 31.5 : sumX / n > 31.5);
  }
  assert.ok(volume.data.every((v) => v > -1100 && v < 150));
});

Deno.test("assertValidLungMasks() accepts a valid result and catches broken ones", () => {
  const { volume, labels } = chestPhantom({ slices: 8 });
  const a = labels.map((l) => (l === 1 ? 1 : 0));
  const b = labels.map((l) => (l === 2 ? 1 : 0));
  const good = lungMasksFrom(volume, a, b, "x", []);
  assertValidLungMasks(volume, good, "x");
  assert.throws(() => assertValidLungMasks(volume, good, "y"));
  // Overlapping lungs.
  const overlap = lungMasksFrom(volume, a, a.slice(), "x", []);
  assert.throws(
    () => assertValidLungMasks(volume, overlap, "x"),
    /in both lungs/,
  );
  // A mask on another grid.
  const other = createVolume(new Int16Array(volume.data.length), volume.shape, {
    spacingMm: [1, 1, 1],
  });
  assert.throws(() => assertValidLungMasks(other, good, "x"), /spacing/);
});
