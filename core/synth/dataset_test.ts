import assert from "node:assert/strict";
import { join } from "node:path";
import { openLuna16Dataset } from "../dataset/luna16.ts";
import { readMetaImage } from "../io/metaimage.ts";
import { createRecorder } from "../logger.ts";
import {
  type SyntheticManifest,
  syntheticScanSeed,
  syntheticSeriesuid,
  writeSyntheticDataset,
} from "./dataset.ts";
import { generateSyntheticScan } from "./scan.ts";

const SHAPE = { size: 48, slices: 20 } as const;

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "pleura_synth_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("syntheticSeriesuid() and syntheticScanSeed() are deterministic and distinct", () => {
  assert.equal(syntheticSeriesuid(7, 3), "1.3.6.1.4.1.55555.7.3");
  assert.match(
    syntheticSeriesuid(4294967295, 12),
    /^1\.3\.6\.1\.4\.1\.55555\.\d+\.\d+$/,
  );
  assert.equal(syntheticScanSeed(1, 0), syntheticScanSeed(1, 0));
  const seeds = new Set<number>();
  for (let seed = 0; seed < 4; seed++) {
    for (let i = 0; i < 50; i++) seeds.add(syntheticScanSeed(seed, i));
  }
  assert.equal(seeds.size, 200);
  for (const s of seeds) {
    assert.ok(Number.isInteger(s) && s >= 0 && s <= 0xffffffff);
  }
});

Deno.test("writeSyntheticDataset() writes a LUNA16 layout that reads back with matching geometry", async () => {
  await withTempDir(async (dir) => {
    const { progress, events } = createRecorder();
    const manifest = await writeSyntheticDataset(dir, {
      scans: 5,
      seed: 3,
      shape: SHAPE,
      subsets: 3,
      progress,
    });
    // Progress: a start, one step per scan, an end.
    assert.deepEqual(events.map((e) => e.kind), [
      "start",
      "step",
      "step",
      "step",
      "step",
      "step",
      "end",
    ]);
    const dataset = await openLuna16Dataset(dir, { validate: true });
    assert.deepEqual(dataset.missingSubsets, [3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(
      dataset.seriesuids,
      [0, 1, 2, 3, 4].map((i) => syntheticSeriesuid(3, i)),
    );
    const bySubset = dataset.scans.map((s) => [s.seriesuid, s.subset]);
    assert.deepEqual(
      bySubset.sort(),
      [0, 1, 2, 3, 4].map((i) => [syntheticSeriesuid(3, i), i % 3]).sort(),
    );
    let nodules = 0;
    for (const entry of manifest.scans) {
      const scan = generateSyntheticScan(
        syntheticScanSeed(3, entry.index),
        SHAPE,
      );
      assert.equal(entry.seed, syntheticScanSeed(3, entry.index));
      const image = await readMetaImage(join(dir, entry.image));
      const mask = await readMetaImage(join(dir, entry.mask));
      assert.ok(image.data instanceof Int16Array);
      assert.ok(mask.data instanceof Uint8Array);
      for (const v of [image, mask]) {
        assert.deepEqual(v.shape, scan.volume.shape);
        for (let i = 0; i < 3; i++) {
          assert.ok(Math.abs(v.spacingMm[i] - scan.volume.spacingMm[i]) < 1e-9);
          assert.ok(Math.abs(v.originMm[i] - scan.volume.originMm[i]) < 1e-9);
        }
        assert.deepEqual([...v.direction], [...scan.volume.direction]);
      }
      assert.ok(image.data.every((x, i) => x === scan.volume.data[i]));
      assert.ok(mask.data.every((x, i) => x === scan.lungMask.data[i]));
      // annotations.csv rows of this scan are its nodules, in world x, y, z.
      const rows = dataset.annotations.filter((n) =>
        n.seriesuid === entry.seriesuid
      );
      assert.equal(rows.length, scan.nodules.length);
      rows.forEach((row, i) => {
        for (let a = 0; a < 3; a++) {
          assert.ok(
            Math.abs(row.worldMm[a] - scan.nodules[i].worldMm[a]) < 1e-9,
          );
        }
        assert.ok(Math.abs(row.diameterMm - scan.nodules[i].diameterMm) < 1e-9);
      });
      assert.equal(
        dataset.excluded.filter((n) => n.seriesuid === entry.seriesuid).length,
        scan.excluded.length,
      );
      nodules += rows.length;
    }
    assert.equal(dataset.annotations.length, nodules);
    const onDisk: SyntheticManifest = JSON.parse(
      await Deno.readTextFile(join(dir, "synth_manifest.json")),
    );
    assert.deepEqual(onDisk, JSON.parse(JSON.stringify(manifest)));
    assert.equal(
      onDisk.scans[0].nodules.length,
      manifest.scans[0].nodules.length,
    );
    // seriesuids.csv has no header.
    const uids = await Deno.readTextFile(join(dir, "seriesuids.csv"));
    assert.equal(uids, dataset.seriesuids.join("\n") + "\n");
    // No temporary files are left behind.
    for await (const entry of Deno.readDir(dir)) {
      assert.doesNotMatch(entry.name, /tmp/);
    }
  });
});

Deno.test("writeSyntheticDataset() refuses a non-empty folder unless told to overwrite, then replaces the earlier dataset", async () => {
  await withTempDir(async (dir) => {
    await writeSyntheticDataset(dir, {
      scans: 3,
      seed: 1,
      shape: SHAPE,
      subsets: 3,
    });
    await Deno.writeTextFile(join(dir, "notes.txt"), "mine");
    await assert.rejects(
      () => writeSyntheticDataset(dir, { scans: 1, seed: 2, shape: SHAPE }),
      /the folder is not empty, expected an empty or missing folder \(or overwrite\)/,
    );
    await writeSyntheticDataset(dir, {
      scans: 1,
      seed: 2,
      shape: SHAPE,
      subsets: 1,
      compress: true,
      overwrite: true,
    });
    const dataset = await openLuna16Dataset(dir, { validate: true });
    assert.deepEqual(dataset.seriesuids, [syntheticSeriesuid(2, 0)]);
    assert.equal(dataset.scans.length, 1);
    assert.equal(await Deno.readTextFile(join(dir, "notes.txt")), "mine");
    const files: string[] = [];
    for await (const entry of Deno.readDir(join(dir, "subset0"))) {
      files.push(entry.name);
    }
    assert.deepEqual(files.sort(), [
      `${syntheticSeriesuid(2, 0)}.mhd`,
      `${syntheticSeriesuid(2, 0)}.zraw`,
    ]);
  });
});

Deno.test("writeSyntheticDataset() rejects bad options with a message naming them", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "never");
    await assert.rejects(
      () => writeSyntheticDataset(out, { scans: 0, seed: 1 }),
      /scans is 0, expected an integer in \[1, 10000\]/,
    );
    await assert.rejects(
      () => writeSyntheticDataset(out, { scans: 1, seed: 1.5 }),
      /seed is 1.5, expected an integer/,
    );
    await assert.rejects(
      () => writeSyntheticDataset(out, { scans: 1, seed: 1, subsets: 11 }),
      /subsets is 11, expected an integer in \[1, 10\]/,
    );
    await assert.rejects(
      () =>
        writeSyntheticDataset(out, { scans: 1, seed: 1, shape: { size: 8 } }),
      /size is 8, expected an integer in \[32, 2048\]/,
    );
    const file = join(dir, "file.txt");
    await Deno.writeTextFile(file, "x");
    await assert.rejects(
      () => writeSyntheticDataset(file, { scans: 1, seed: 1, shape: SHAPE }),
      /Cannot write a synthetic dataset to ".*file.txt": it cannot be listed \(.*\), expected a folder/,
    );
    // Nothing was created for invalid options.
    await assert.rejects(() => Deno.stat(out), Deno.errors.NotFound);
  });
});

Deno.test("writeSyntheticDataset() draws each scan's nodule count from the nodules range and records it", async () => {
  await withTempDir(async (dir) => {
    const none = await writeSyntheticDataset(join(dir, "none"), {
      scans: 3,
      seed: 5,
      shape: SHAPE,
      nodules: [0, 0],
    });
    assert.deepEqual(none.scans.map((s) => s.nodules.length), [0, 0, 0]);
    const four = await writeSyntheticDataset(join(dir, "four"), {
      scans: 3,
      seed: 5,
      shape: SHAPE,
      nodules: [4, 4],
    });
    assert.deepEqual(four.scans.map((s) => s.nodules.length), [4, 4, 4]);
    assert.deepEqual(four.options.nodules, [4, 4]);
    // The annotations table lists every one of them.
    const table = await Deno.readTextFile(join(dir, "four", "annotations.csv"));
    assert.equal(table.trim().split("\n").length, 1 + 12);
    // A range: every count drawn inside it, and the same scans' anatomy
    // (geometry) as with the generator's own draw.
    const ranged = await writeSyntheticDataset(join(dir, "ranged"), {
      scans: 6,
      seed: 5,
      shape: SHAPE,
      nodules: [1, 3],
    });
    const auto = await writeSyntheticDataset(join(dir, "auto"), {
      scans: 6,
      seed: 5,
      shape: SHAPE,
    });
    assert.equal(auto.options.nodules, "auto");
    for (const [i, scan] of ranged.scans.entries()) {
      assert.ok(scan.nodules.length >= 1 && scan.nodules.length <= 3);
      assert.deepEqual(scan.spacingMm, auto.scans[i].spacingMm);
      assert.deepEqual(scan.originMm, auto.scans[i].originMm);
    }
    await assert.rejects(
      () =>
        writeSyntheticDataset(join(dir, "bad"), {
          scans: 1,
          seed: 5,
          nodules: [3, 9],
        }),
      /nodules is \[3, 9\], expected "auto" or integers 0 <= min <= max <= 8/,
    );
  });
});
