import assert from "node:assert/strict";
import { bootstrapFroc, computeFroc, type FrocInput } from "./froc.ts";
import { renderFrocSvg } from "./froc_svg.ts";

// The spec's tiny example: sensitivities 1/12, 1/6, 2/3 × 5, CPM 43/84.
const TINY: FrocInput = {
  seriesuids: ["S1", "S2"],
  annotations: [
    { seriesuid: "S1", worldMm: [0, 0, 0], diameterMm: 6 },
    { seriesuid: "S1", worldMm: [0, 0, 40], diameterMm: 6 },
    { seriesuid: "S1", worldMm: [0, 0, 80], diameterMm: 6 },
  ],
  marks: [
    { seriesuid: "S1", worldMm: [1, 0, 0], score: 0.9 },
    { seriesuid: "S1", worldMm: [0, 60, 0], score: 0.9 },
    { seriesuid: "S1", worldMm: [0, 1, 40], score: 0.8 },
  ],
};

Deno.test("renderFrocSvg() places the seven points on a log2 axis and labels the plot", () => {
  const result = computeFroc(TINY);
  const svg = renderFrocSvg(result, { name: "tiny <test>" });
  // Plot area: x from 64 to 616 (92 px per octave), y from 48 (1) to 424 (0).
  const circles = [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)]
    .map((m) => [Number(m[1]), Number(m[2])]);
  const expected = [1 / 12, 1 / 6, 2 / 3, 2 / 3, 2 / 3, 2 / 3, 2 / 3].map(
    (s, i) => [64 + 92 * i, Number((48 + (1 - s) * 376).toFixed(2))],
  );
  assert.deepEqual(circles, expected);
  assert.match(svg, /<title>FROC: tiny &lt;test&gt;, CPM 0\.512<\/title>/);
  assert.match(svg, />Average number of false positives per scan</);
  assert.match(svg, />Sensitivity</);
  for (const label of ["1/8", "1/4", "1/2", "1", "2", "4", "8"]) {
    assert.match(svg, new RegExp(`text-anchor="middle">${label}</text>`));
  }
  assert.ok(svg.startsWith("<svg xmlns="));
  assert.ok(svg.trimEnd().endsWith("</svg>"));
  assert.equal(svg.includes("NaN"), false);
});

Deno.test("renderFrocSvg() draws the bootstrap band and the CPM interval, deterministically", () => {
  const result = computeFroc(TINY);
  const bootstrap = bootstrapFroc(result, { resamples: 200, seed: 9 });
  const a = renderFrocSvg(result, { bootstrap });
  const b = renderFrocSvg(result, { bootstrap });
  assert.equal(a, b);
  assert.match(a, /<polygon class="band" points="[^"]+"/);
  const ci = bootstrap.cpm;
  assert.ok(
    a.includes(
      `CPM 0.512 (95% CI ${ci.lower.toFixed(3)}–${ci.upper.toFixed(3)})`,
    ),
  );
  // The curve starts at x = 1/8 (px 64) and ends at x = 8 (px 616).
  const curve = a.match(/<polyline class="curve" points="([^"]+)"/)![1]
    .split(" ").map((p) => p.split(",").map(Number));
  assert.equal(curve[0][0], 64);
  assert.equal(curve[curve.length - 1][0], 616);
  assert.equal(curve[curve.length - 1][1], Number((48 + 376 / 3).toFixed(2)));
});

Deno.test("renderFrocSvg() says so when nothing was detected", () => {
  const result = computeFroc({ ...TINY, marks: [TINY.marks[1]] });
  const svg = renderFrocSvg(result);
  assert.match(svg, /CPM undefined/);
  assert.match(svg, /No nodule detected/);
  assert.equal(svg.includes("<polyline"), false);
});
