import assert from "node:assert/strict";
import { createVolume } from "../../core/mod.ts";
import { chestPhantom } from "../../core/testing/segmenter_contract.ts";
import { bodyMask } from "./body.ts";

Deno.test("bodyMask() returns the whole body, lungs included, as one mask", () => {
  const { volume, labels } = chestPhantom();
  const masks = bodyMask(volume, -500);
  assert.equal(masks.report.lungCount, 1);
  assert.equal(masks.lungs[1].data.reduce((a, b) => a + b, 0), 0);
  // Every body voxel (tissue or lung) is in, every voxel of air outside is out.
  const [nz, ny, nx] = volume.shape;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        const i = (z * ny + y) * nx + x;
        const u = (x - (nx - 1) / 2) * 6, v = (y - (ny - 1) / 2) * 6;
        const inBody = (u / 160) ** 2 + (v / 110) ** 2 < 1 || labels[i] > 0;
        assert.equal(
          masks.union.data[i],
          inBody ? 1 : 0,
          `voxel ${z},${y},${x}`,
        );
      }
    }
  }
  assert.equal(masks.report.decisions[0].step, "body_as_lung");
});

Deno.test("bodyMask() keeps only the largest tissue component (not the table)", () => {
  const [nz, ny, nx] = [3, 12, 12];
  const hu = new Int16Array(nz * ny * nx).fill(-1000);
  for (let z = 0; z < nz; z++) {
    for (let y = 2; y < 8; y++) {
      for (let x = 2; x < 10; x++) hu[(z * ny + y) * nx + x] = 40;
    }
    for (let x = 0; x < nx; x++) hu[(z * ny + 10) * nx + x] = 200; // a table
  }
  const masks = bodyMask(createVolume(hu, [nz, ny, nx]), -500);
  assert.equal(masks.union.data.reduce((a, b) => a + b, 0), 3 * 6 * 8);
});

Deno.test("bodyMask() explains why a volume without air or without tissue is empty", () => {
  const tissue = bodyMask(
    createVolume(new Int16Array(8).fill(40), [2, 2, 2]),
    -500,
  );
  assert.match(tissue.report.emptyReason!, /^no voxel is below -500 HU/);
  const air = bodyMask(
    createVolume(new Int16Array(8).fill(-1000), [2, 2, 2]),
    -500,
  );
  assert.match(
    air.report.emptyReason!,
    /^no voxel is at or above -500 HU: there is no body/,
  );
});
