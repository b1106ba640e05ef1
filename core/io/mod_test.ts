import assert from "node:assert/strict";
import { join } from "node:path";
import { DataError } from "../errors.ts";
import { sharedDataPath, withSharedData } from "../testing/shared_data.ts";
import { createVolume, voxelToWorld } from "../volume.ts";
import { readVolume, seriesUidFromPath, writeVolume } from "./mod.ts";

Deno.test("seriesUidFromPath() strips volume suffixes and keeps dotted UIDs", () => {
  const uid =
    "1.3.6.1.4.1.14519.5.2.1.6279.6001.179049373636438705059720603192";
  assert.equal(seriesUidFromPath(`/data/subset0/${uid}.mhd`), uid);
  assert.equal(seriesUidFromPath(`${uid}.raw`), uid);
  assert.equal(seriesUidFromPath(`scans/${uid}.nii.gz`), uid);
  assert.equal(seriesUidFromPath("scans/case.NII"), "case");
  assert.equal(seriesUidFromPath("scans/case.mha"), "case");
  assert.equal(seriesUidFromPath(`dicom/${uid}/`), uid);
  assert.equal(seriesUidFromPath("lidc0001_dicom3"), "lidc0001_dicom3");
});

Deno.test("writeVolume() and readVolume() round-trip a volume through .mhd and .mha", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pleura_io_" });
  try {
    const v = createVolume(Int16Array.from({ length: 60 }, (_, i) => i - 30), [
      3,
      4,
      5,
    ], {
      spacingMm: [2.5, 0.7, 0.7],
      originMm: [-100, 20, 30],
      direction: [1, 0, 0, 0, -1, 0, 0, 0, -1],
    });
    for (const name of ["a.mhd", "b.mha"]) {
      await writeVolume(join(dir, name), v, { compress: name === "b.mha" });
      const back = await readVolume(join(dir, name));
      assert.deepEqual(Array.from(back.data), Array.from(v.data));
      assert.deepEqual(back.direction, v.direction);
      assert.deepEqual(
        voxelToWorld(back, [1, 2, 3]),
        voxelToWorld(v, [1, 2, 3]),
      );
    }
    await Deno.writeTextFile(join(dir, "x.nrrd"), "NRRD0004");
    await assert.rejects(
      readVolume(join(dir, "x.nrrd")),
      (e: unknown) =>
        e instanceof DataError && e.file === join(dir, "x.nrrd") &&
        /extension is not supported \("x\.nrrd"\), expected a file ending in "\.mhd", "\.mha", "\.nii", "\.nii\.gz" or a DICOM folder/
          .test(e.message),
    );
    await assert.rejects(
      readVolume(join(dir, "nothing")),
      /a path that does not exist/,
    );
    await assert.rejects(
      readVolume(join(dir, "nothing.mhd")),
      /nothing\.mhd": a file that does not exist/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Every file of shared/data/real-ct with the README's dims (x, y, z) and spacing. */
const REAL: [string, [number, number, number], [number, number, number]][] = [
  ["lidc0001_slab.mhd", [512, 512, 16], [0.703, 0.703, 2.5]],
  ["lidc0001_dicom3", [512, 512, 3], [0.703, 0.703, 2.5]],
  ["lidc0003_slab.mhd", [512, 512, 11], [0.820, 0.820, 2.5]],
  ["lidc0002_slab.mhd", [512, 512, 12], [0.682, 0.682, 1.25]],
  ["chest4dct_ph00_ds.mhd", [250, 195, 70], [1.953, 1.953, 4.0]],
  ["ibsi1_ct_phantom.nii.gz", [204, 201, 60], [0.977, 0.977, 3.0]],
  ["ibsi1_ct_phantom_gtv_mask.nii.gz", [204, 201, 60], [0.977, 0.977, 3.0]],
  ["ts_pulmonary_crop.nii.gz", [122, 102, 112], [1.5, 1.5, 1.5]],
  ["ts_example_ct_sm.nii.gz", [122, 101, 30], [3, 3, 3]],
  ["elastix_lung_small.mha", [57, 78, 64], [2.732, 2.732, 5.0]],
];

Deno.test(
  withSharedData(
    "readVolume() loads every real CT file with the README's dims and spacing",
    async () => {
      const listed = new Set(REAL.map(([name]) => name));
      for (const entry of Deno.readDirSync(sharedDataPath("real-ct")!)) {
        const volumeLike = entry.isDirectory ||
          /\.(mhd|mha|nii|nii\.gz)$/.test(entry.name);
        if (volumeLike) {
          assert.ok(listed.has(entry.name), `unlisted volume ${entry.name}`);
        }
      }
      for (const [name, dims, spacing] of REAL) {
        const v = await readVolume(sharedDataPath("real-ct", name)!);
        assert.deepEqual(v.shape, [dims[2], dims[1], dims[0]], name);
        for (let i = 0; i < 3; i++) {
          assert.ok(
            Math.abs(v.spacingMm[2 - i] - spacing[i]) < 1e-3,
            `${name} spacing ${i}`,
          );
        }
      }
    },
  ),
);
