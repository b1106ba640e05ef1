import assert from "node:assert/strict";
import {
  checkSegmenterInput,
  emptyLungMasks,
  lungMasksFrom,
} from "./lung_masks.ts";
import { createVolume } from "./volume.ts";

Deno.test("checkSegmenterInput() names the count and the first NaN voxel", () => {
  const data = new Float32Array(2 * 3 * 4);
  data[1 * 12 + 0 * 4 + 1] = NaN;
  data[23] = Infinity;
  const volume = createVolume(data, [2, 3, 4]);
  assert.throws(() => checkSegmenterInput(volume, "seg"), {
    name: "RangeError",
    message:
      'Cannot segment volume with "seg": 2 voxels are NaN or infinite (first at z=1, y=0, x=1), expected finite Hounsfield units',
  });
  assert.equal(
    checkSegmenterInput(createVolume(new Int16Array(4), [1, 2, 2]), "seg"),
    null,
  );
  assert.equal(
    checkSegmenterInput(createVolume(new Int16Array(0), [0, 2, 2]), "seg"),
    "the volume has no voxels (shape [0, 2, 2])",
  );
});

Deno.test("emptyLungMasks() gives zero masks on the volume's grid with the reason", () => {
  const volume = createVolume(new Int16Array(8), [2, 2, 2], {
    spacingMm: [2, 1, 1],
  });
  const masks = emptyLungMasks(volume, "seg", "no air", [{
    step: "x",
    detail: "y",
  }]);
  assert.equal(masks.report.emptyReason, "no air");
  assert.equal(masks.report.lungCount, 0);
  assert.deepEqual(masks.report.decisions, [{ step: "x", detail: "y" }]);
  assert.deepEqual(masks.union.spacingMm, [2, 1, 1]);
  assert.equal(masks.union.data.reduce((a, b) => a + b, 0), 0);
});

Deno.test("lungMasksFrom() computes the union and litres and puts an empty lung second", () => {
  const volume = createVolume(new Int16Array(4), [1, 1, 4], {
    spacingMm: [10, 10, 10],
  });
  const masks = lungMasksFrom(
    volume,
    new Uint8Array(4),
    new Uint8Array([1, 1, 0, 0]),
    "seg",
    [],
  );
  assert.deepEqual([...masks.lungs[0].data], [1, 1, 0, 0]);
  assert.deepEqual(masks.report.lungVolumesL, [0.002, 0]);
  assert.equal(masks.report.lungCount, 1);
  const both = lungMasksFrom(
    volume,
    new Uint8Array([1, 0, 0, 0]),
    new Uint8Array([0, 0, 0, 1]),
    "seg",
    [],
  );
  assert.deepEqual([...both.union.data], [1, 0, 0, 1]);
  assert.equal(both.report.emptyReason, undefined);
  const none = lungMasksFrom(
    volume,
    new Uint8Array(4),
    new Uint8Array(4),
    "seg",
    [],
    "nothing",
  );
  assert.equal(none.report.emptyReason, "nothing");
});
