import assert from "node:assert/strict";
import { join } from "node:path";
import { writeVolume } from "../../core/io/mod.ts";
import {
  createRegistry,
  createVolume,
  type RunRecord,
} from "../../core/mod.ts";
import { testRegistry } from "../testing/registry.ts";
import {
  PHANTOM,
  syntheticTruth,
  writePhantomDataset,
} from "../testing/seed.ts";
import { ScanNotFound, ScanService } from "./scans.ts";

function runOn(dataset: string, segmenter = "test_threshold"): RunRecord {
  return {
    id: "r1",
    name: "r",
    status: "done",
    configJson: JSON.stringify({ data: { dataset } }),
    configHash: "0",
    schemaVersion: 1,
    slots: { segmenter: { plugin: segmenter, options: {} } },
    createdAt: 0,
  };
}

async function withPhantom(
  body: (root: string, dataset: string, uid: string) => Promise<void>,
) {
  const root = await Deno.makeTempDir({ prefix: "pleura_scans_" });
  const dataset = join(root, "data", "phantom");
  const truth = syntheticTruth(2);
  await writePhantomDataset(dataset, truth, 1);
  try {
    await body(root, dataset, truth.seriesuids[0]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("ScanService reads slices as int16 HU and the dataset's lung mask", () =>
  withPhantom(async (root, dataset, uid) => {
    const scans = new ScanService([join(root, "data")], testRegistry());
    const run = runOn(dataset);
    const { volume, mask, maskSource } = await scans.load(run, uid);
    assert.equal(maskSource, "dataset (seg-lungs-LUNA16)");
    const [, ny, nx] = PHANTOM.shape;
    const bytes = await scans.slice(run, uid, 7, "image");
    assert.deepEqual(
      Array.from(new Int16Array(bytes.buffer, bytes.byteOffset, ny * nx)),
      Array.from(volume.data.subarray(7 * ny * nx, 8 * ny * nx)),
    );
    const maskSlice = await scans.slice(run, uid, 7, "mask");
    assert.deepEqual(maskSlice, mask!.subarray(7 * ny * nx, 8 * ny * nx));
    await assert.rejects(() => scans.slice(run, uid, 40, "image"), {
      name: "RangeError",
      message:
        `Cannot read slice 40 of scan "${uid}": expected an integer in [0, 39]`,
    });
    // The scan is read once and reused.
    assert.equal(await scans.load(run, uid), await scans.load(run, uid));
  }));

Deno.test("without a dataset mask the run's segmenter draws it, or the reason is given", () =>
  withPhantom(async (root, dataset, uid) => {
    await Deno.remove(join(dataset, "seg-lungs-LUNA16"), { recursive: true });
    const scans = new ScanService([join(root, "data")], testRegistry());
    const segmented = await scans.load(runOn(dataset), uid);
    assert.equal(segmented.maskSource, 'segmenter "test_threshold"');
    // The threshold segmenter finds the phantom's lungs: compare with their ellipsoids.
    const [nz, ny, nx] = PHANTOM.shape;
    let agree = 0, inside = 0;
    for (let z = 0; z < nz; z++) {
      for (let y = 0; y < ny; y++) {
        for (let x = 0; x < nx; x++) {
          const w = [
            PHANTOM.originMm[0] + z * PHANTOM.spacingMm[0],
            PHANTOM.originMm[1] + y * PHANTOM.spacingMm[1],
            PHANTOM.originMm[2] + x * PHANTOM.spacingMm[2],
          ];
          const lung = PHANTOM.lungs.some((l) =>
            l.centreMm.reduce(
              (s, c, i) => s + ((w[i] - c) / l.radiiMm[i]) ** 2,
              0,
            ) <= 1
          );
          const m = segmented.mask![(z * ny + y) * nx + x] === 1;
          if (lung) inside++;
          if (lung && m) agree++;
        }
      }
    }
    assert.ok(agree / inside > 0.9, `${agree} / ${inside}`);

    const other = new ScanService([join(root, "data")], createRegistry([]));
    const none = await other.load(runOn(dataset, "lung_reference"), uid);
    assert.equal(none.mask, undefined);
    assert.equal(
      none.maskSource,
      'none: segmenter plugin "lung_reference" is not registered in this dashboard',
    );
    const meta = await other.meta(
      runOn(dataset, "lung_reference"),
      uid,
      undefined,
    );
    assert.deepEqual(meta.mask, { available: false, source: none.maskSource });
    await assert.rejects(
      () => other.slice(runOn(dataset, "lung_reference"), uid, 0, "mask"),
      /none is available/,
    );
  }));

Deno.test("ScanService refuses datasets and data files outside its folders", () =>
  withPhantom(async (root, dataset, uid) => {
    const scans = new ScanService([join(root, "data")], testRegistry());
    await assert.rejects(
      () => scans.locate(runOn(root), uid),
      (e: Error) =>
        e instanceof ScanNotFound &&
        e.message ===
          `Cannot find scan "${uid}": the run's dataset ${
            JSON.stringify(root)
          } is not inside a data folder of this server`,
    );
    await assert.rejects(
      () => scans.locate(runOn(dataset), "../x"),
      ScanNotFound,
    );
    // A header inside the dataset whose data file lies outside it.
    await writeVolume(
      join(root, "secret.mhd"),
      createVolume(new Int16Array(8), [2, 2, 2]),
    );
    await Deno.writeTextFile(
      join(dataset, "subset0", "evil.mhd"),
      (await Deno.readTextFile(join(root, "secret.mhd"))).replace(
        /ElementDataFile = .*/,
        "ElementDataFile = ../../../secret.raw",
      ),
    );
    await assert.rejects(
      () => scans.locate(runOn(dataset), "evil"),
      /Cannot read scan "evil": its data file lies outside the data folders/,
    );
  }));

Deno.test("ScanService finds a run's held-out scans in data.test_dataset when the run names one", () =>
  withPhantom(async (root, dataset, uid) => {
    const scans = new ScanService([join(root, "data")], testRegistry());
    const run = {
      ...runOn(join(root, "data", "training")),
      configJson: JSON.stringify({
        data: {
          dataset: join(root, "data", "training"),
          test_dataset: dataset,
        },
      }),
    };
    assert.equal(
      await scans.locate(run, uid),
      join(dataset, "subset0", `${uid}.mhd`),
    );
    // Without test_dataset the (empty) training folder is searched.
    await assert.rejects(
      () => scans.locate(runOn(join(root, "data", "training")), uid),
      ScanNotFound,
    );
  }));
