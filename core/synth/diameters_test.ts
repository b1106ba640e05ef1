import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRng } from "../random.ts";
import { sharedDataPath, withSharedData } from "../testing/shared_data.ts";
import {
  LUNA16_DIAMETER_QUANTILES_MM,
  quantileSorted,
  sampleNoduleDiameterMm,
} from "./diameters.ts";

Deno.test("quantileSorted() interpolates between order statistics", () => {
  const sample = [1, 2, 3, 4, 10];
  assert.equal(quantileSorted(sample, 0), 1);
  assert.equal(quantileSorted(sample, 1), 10);
  assert.equal(quantileSorted(sample, 0.5), 3);
  // position 4 * 0.9 = 3.6 → 4 + 0.6 * (10 - 4)
  assert.ok(Math.abs(quantileSorted(sample, 0.9) - 7.6) < 1e-12);
  assert.throws(
    () => quantileSorted([], 0.5),
    /Cannot take a quantile: the sample is empty/,
  );
  assert.throws(
    () => quantileSorted(sample, 1.5),
    /p is 1.5, expected a value in \[0, 1\]/,
  );
});

Deno.test("LUNA16_DIAMETER_QUANTILES_MM is a sorted 101-entry table", () => {
  assert.equal(LUNA16_DIAMETER_QUANTILES_MM.length, 101);
  for (let i = 1; i < 101; i++) {
    assert.ok(
      LUNA16_DIAMETER_QUANTILES_MM[i] >= LUNA16_DIAMETER_QUANTILES_MM[i - 1],
    );
  }
});

Deno.test(
  withSharedData(
    "LUNA16_DIAMETER_QUANTILES_MM matches the real annotations.csv",
    () => {
      const text = readFileSync(
        sharedDataPath("luna16", "annotations.csv")!,
        "utf8",
      );
      const lines = text.trim().split("\n");
      assert.equal(lines[0], "seriesuid,coordX,coordY,coordZ,diameter_mm");
      const diameters = lines.slice(1).map((line) => Number(line.split(",")[4]))
        .sort((a, b) => a - b);
      assert.equal(diameters.length, 1186);
      for (let k = 0; k <= 100; k++) {
        const real = quantileSorted(diameters, k / 100);
        assert.ok(
          Math.abs(real - LUNA16_DIAMETER_QUANTILES_MM[k]) <= 0.0051,
          `quantile ${k} %: table ${
            LUNA16_DIAMETER_QUANTILES_MM[k]
          }, real ${real}`,
        );
      }
    },
  ),
);

Deno.test("sampleNoduleDiameterMm() reproduces the LUNA16 quantiles", () => {
  const rng = createRng(2024);
  const sample = Array.from(
    { length: 20000 },
    () => sampleNoduleDiameterMm(rng),
  ).sort((a, b) => a - b);
  // Published LUNA16 statistics: 5 / 50 / 95 % at 4.09 / 6.43 / 18.95 mm.
  assert.ok(Math.abs(quantileSorted(sample, 0.05) - 4.09) < 0.1);
  assert.ok(Math.abs(quantileSorted(sample, 0.5) - 6.43) < 0.15);
  assert.ok(Math.abs(quantileSorted(sample, 0.95) - 18.95) < 0.8);
  assert.ok(sample[0] >= 3.25 && sample[sample.length - 1] <= 32.27);
});
