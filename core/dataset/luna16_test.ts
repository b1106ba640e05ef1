import assert from "node:assert/strict";
import { join } from "node:path";
import { sharedDataPath, withSharedData } from "../testing/shared_data.ts";
import type { Detection } from "../volume.ts";
import {
  formatCandidatesCsv,
  openLuna16Dataset,
  parseAnnotationsCsv,
  parseCandidatesCsv,
  parseSeriesuidsCsv,
  readAnnotationsCsv,
  readCandidatesCsv,
  readSeriesuidsCsv,
  writeCandidatesCsv,
} from "./luna16.ts";

const HEADER = "seriesuid,coordX,coordY,coordZ,diameter_mm";

Deno.test("parseAnnotationsCsv() reads nodules with world positions in z, y, x order", () => {
  const nodules = parseAnnotationsCsv(
    `${HEADER}\n1.2.3,-128.69,-175.31,-298.38,5.65\n1.2.4,1,2,3,10\n`,
    "annotations.csv",
  );
  assert.deepEqual(nodules, [
    {
      seriesuid: "1.2.3",
      worldMm: [-298.38, -175.31, -128.69],
      diameterMm: 5.65,
    },
    { seriesuid: "1.2.4", worldMm: [3, 2, 1], diameterMm: 10 },
  ]);
});

Deno.test("parseAnnotationsCsv() ignores column order and a pandas index column", () => {
  const nodules = parseAnnotationsCsv(
    ",diameter_mm,coordZ,coordY,coordX,seriesuid\n0,6,3,2,1,A\n",
    "a.csv",
  );
  assert.deepEqual(nodules, [{
    seriesuid: "A",
    worldMm: [3, 2, 1],
    diameterMm: 6,
  }]);
});

Deno.test("parseAnnotationsCsv() allows diameter -1 only in the excluded table", () => {
  const text = `${HEADER}\nA,1,2,3,-1\n`;
  assert.equal(
    parseAnnotationsCsv(text, "ex.csv", "excluded")[0].diameterMm,
    -1,
  );
  assert.throws(() => parseAnnotationsCsv(text, "annotations.csv"), {
    name: "DataError",
    message:
      'Cannot read "annotations.csv": row 2, column "diameter_mm" is "-1", expected a diameter > 0 mm (only annotations_excluded.csv may use -1)',
  });
});

Deno.test("parseAnnotationsCsv() names the row and column of bad fields", () => {
  assert.throws(
    () => parseAnnotationsCsv(`${HEADER}\nA,1,2,3,6\nB,1,two,3,6\n`, "a.csv"),
    {
      name: "DataError",
      message:
        'Cannot read "a.csv": row 3, column "coordY" is "two", expected a finite number',
    },
  );
  assert.throws(
    () => parseAnnotationsCsv(`${HEADER}\nA,1,2,3\n`, "a.csv"),
    /row 2, column "diameter_mm" is missing \(the row has 4 of the header's 5 fields\)/,
  );
  assert.throws(
    () =>
      parseAnnotationsCsv(
        "seriesuid,coordX,coordY,diameter_mm\nA,1,2,6\n",
        "a.csv",
      ),
    /field "coordZ" is missing from the header row/,
  );
});

Deno.test("parseSeriesuidsCsv() reads the first column without a header and rejects duplicates", () => {
  assert.deepEqual(parseSeriesuidsCsv("A\r\nB,x\n\nC\n", "s.csv"), [
    "A",
    "B",
    "C",
  ]);
  assert.throws(() => parseSeriesuidsCsv("A\nB\nA\n", "s.csv"), {
    name: "DataError",
    message:
      'Cannot read "s.csv": row 3, column 1 is "A", already listed at row 1, expected each series ID once (a duplicate would be evaluated twice)',
  });
  assert.throws(
    () => parseSeriesuidsCsv("A\n,B\n", "s.csv"),
    /row 2, column 1 is ""/,
  );
});

Deno.test("candidate CSVs round-trip with full float precision", async () => {
  const detections: Detection[] = [
    {
      seriesuid: "1.2.3",
      worldMm: [-298.38, 0.1 + 0.2, 1 / 3],
      diameterMm: 6.5,
      score: 0.9999999999999999,
    },
    {
      seriesuid: "x,y",
      worldMm: [1e-300, -0, 12345.678901234567],
      diameterMm: 4,
      score: -3.5e7,
    },
  ];
  const text = formatCandidatesCsv(detections);
  assert.equal(
    text.split("\n")[0],
    "seriesuid,coordX,coordY,coordZ,probability",
  );
  const back = parseCandidatesCsv(text, "c.csv");
  assert.deepEqual(
    back.map((d) => [d.seriesuid, d.worldMm, d.score]),
    detections.map((
      d,
    ) => [d.seriesuid, d.worldMm.map((v) => v === 0 ? 0 : v), d.score]),
  );
  assert.ok(back.every((d) => Number.isNaN(d.diameterMm)));
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "c.csv");
    await writeCandidatesCsv(path, detections, { diameter: true });
    const withSize = await readCandidatesCsv(path);
    assert.deepEqual(withSize.map((d) => d.diameterMm), [6.5, 4]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseCandidatesCsv() rejects a missing probability column and non-finite scores", () => {
  assert.throws(
    () =>
      parseCandidatesCsv("seriesuid,coordX,coordY,coordZ\nA,1,2,3\n", "c.csv"),
    /field "probability" is missing from the header row/,
  );
  assert.throws(
    () =>
      parseCandidatesCsv(
        "seriesuid,coordX,coordY,coordZ,probability\nA,1,2,3,inf\n",
        "c.csv",
      ),
    /row 2, column "probability" is "inf", expected a finite number/,
  );
});

async function makeRoot(): Promise<string> {
  const root = await Deno.makeTempDir();
  for (const [subset, ids] of [[0, ["1.1", "1.2"]], [3, ["1.3"]]] as const) {
    await Deno.mkdir(join(root, `subset${subset}`));
    for (const id of ids) {
      await Deno.writeTextFile(
        join(root, `subset${subset}`, `${id}.mhd`),
        "NDims = 3\n",
      );
      await Deno.writeTextFile(join(root, `subset${subset}`, `${id}.raw`), "");
    }
  }
  await Deno.mkdir(join(root, "seg-lungs-LUNA16"));
  await Deno.writeTextFile(join(root, "seg-lungs-LUNA16", "1.2.mhd"), "");
  await Deno.writeTextFile(
    join(root, "annotations.csv"),
    `${HEADER}\n1.1,1,2,3,6\n1.3,4,5,6,8\n`,
  );
  await Deno.writeTextFile(
    join(root, "annotations_excluded.csv"),
    `${HEADER}\n1.2,1,1,1,-1\n`,
  );
  await Deno.writeTextFile(join(root, "seriesuids.csv"), "1.3\n1.1\n1.2\n");
  return root;
}

Deno.test("openLuna16Dataset() lists subset scans, masks and tables, and selects folds", async () => {
  const root = await makeRoot();
  try {
    const dataset = await openLuna16Dataset(root, { validate: true });
    assert.deepEqual(dataset.scans, [
      {
        seriesuid: "1.1",
        subset: 0,
        imagePath: join(root, "subset0", "1.1.mhd"),
      },
      {
        seriesuid: "1.2",
        subset: 0,
        imagePath: join(root, "subset0", "1.2.mhd"),
        maskPath: join(root, "seg-lungs-LUNA16", "1.2.mhd"),
      },
      {
        seriesuid: "1.3",
        subset: 3,
        imagePath: join(root, "subset3", "1.3.mhd"),
      },
    ]);
    assert.deepEqual(dataset.missingSubsets, [1, 2, 4, 5, 6, 7, 8, 9]);
    assert.equal(dataset.annotations.length, 2);
    assert.deepEqual(dataset.seriesuids, ["1.3", "1.1", "1.2"]);
    const fold = dataset.folds([0]);
    assert.deepEqual(fold.seriesuids, ["1.1", "1.2"]);
    assert.deepEqual(fold.annotations.map((n) => n.seriesuid), ["1.1"]);
    assert.deepEqual(fold.excluded.map((n) => n.seriesuid), ["1.2"]);
    assert.deepEqual(dataset.folds([3, 0]).seriesuids, ["1.3", "1.1", "1.2"]);
    assert.throws(() => dataset.folds([5]), {
      name: "DataError",
      message: `Cannot read "${
        join(root, "subset5")
      }": the folder does not exist, expected the subset5/ folder of .mhd images`,
    });
    assert.throws(() => dataset.folds([10]), {
      name: "RangeError",
      message:
        "Cannot select LUNA16 subsets: subset is 10, expected an integer from 0 to 9",
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("openLuna16Dataset() names a missing root, subset folders and CSV", async () => {
  await assert.rejects(() => openLuna16Dataset("/nonexistent/luna"), {
    name: "DataError",
    message:
      'Cannot read "/nonexistent/luna": the folder does not exist, expected a LUNA16 root folder with subset0/ … subset9/ and the three CSVs',
  });
  const root = await makeRoot();
  try {
    await Deno.remove(join(root, "annotations_excluded.csv"));
    await assert.rejects(() => openLuna16Dataset(root), {
      name: "DataError",
      message: `Cannot read "${
        join(root, "annotations_excluded.csv")
      }": the file does not exist, expected annotations_excluded.csv at the LUNA16 root`,
    });
    await Deno.remove(join(root, "subset0"), { recursive: true });
    await Deno.remove(join(root, "subset3"), { recursive: true });
    await assert.rejects(
      () => openLuna16Dataset(root),
      /no subset folder \(subset0\/ … subset9\/\) in it/,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("openLuna16Dataset() with validate rejects an unknown series and a scan in two subsets", async () => {
  const root = await makeRoot();
  try {
    await Deno.writeTextFile(
      join(root, "annotations.csv"),
      `${HEADER}\n1.1,1,2,3,6\n9.9,4,5,6,8\n`,
    );
    // Without validation the row is kept (the FROC ignores unlisted scans).
    assert.equal((await openLuna16Dataset(root)).annotations.length, 2);
    await assert.rejects(() => openLuna16Dataset(root, { validate: true }), {
      name: "DataError",
      message: `Cannot read "${
        join(root, "annotations.csv")
      }": row 3, column "seriesuid" is "9.9" (unknown series), expected a series listed in "${
        join(root, "seriesuids.csv")
      }"`,
    });
    await Deno.writeTextFile(join(root, "annotations.csv"), `${HEADER}\n`);
    await Deno.writeTextFile(join(root, "subset3", "1.1.mhd"), "");
    await assert.rejects(
      () => openLuna16Dataset(root),
      /a second image of series "1\.1"/,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test(
  withSharedData(
    "the real LUNA16 tables load: 1186 nodules, 35192 excluded findings, 888 scans",
    async () => {
      const dir = sharedDataPath("luna16")!;
      const annotations = await readAnnotationsCsv(
        join(dir, "annotations.csv"),
      );
      const excluded = await readAnnotationsCsv(
        join(dir, "annotations_excluded.csv"),
        "excluded",
      );
      const seriesuids = await readSeriesuidsCsv(join(dir, "seriesuids.csv"));
      assert.equal(annotations.length, 1186);
      assert.equal(excluded.length, 35192);
      assert.equal(seriesuids.length, 888);
      assert.deepEqual(annotations[0], {
        seriesuid:
          "1.3.6.1.4.1.14519.5.2.1.6279.6001.100225287222365663678666836860",
        worldMm: [-298.3875064, -175.3192718, -128.6994211],
        diameterMm: 5.651470635,
      });
      assert.equal(excluded.filter((n) => n.diameterMm === -1).length, 30513);
      const listed = new Set(seriesuids);
      assert.ok(annotations.every((n) => listed.has(n.seriesuid)));
      assert.equal(new Set(annotations.map((n) => n.seriesuid)).size, 601);
    },
  ),
);
