import assert from "node:assert/strict";
import { renderToString } from "preact-render-to-string";
import { interpNumpy } from "../../core/froc.ts";
import { curveInDomain, FrocChart, interpolate } from "./FrocChart.tsx";

Deno.test("interpolate() follows numpy interp, as core's interpNumpy", () => {
  const xs = [0, 0.5, 0.5, 1, 4], ys = [0, 0.2, 0.6, 0.7, 0.9];
  for (const x of [-1, 0, 0.125, 0.5, 0.75, 1, 2, 4, 8]) {
    assert.equal(interpolate(x, xs, ys), interpNumpy(x, xs, ys), `x = ${x}`);
  }
  assert.ok(Number.isNaN(interpolate(1, [], [])));
});

Deno.test("curveInDomain() clips the curve to [1/8, 8] with interpolated ends", () => {
  const points = [
    { fps: 0, sensitivity: 0 },
    { fps: 0.25, sensitivity: 0.5 },
    { fps: 0.25, sensitivity: 0.6 },
    { fps: 2, sensitivity: 0.8 },
  ];
  assert.deepEqual(curveInDomain(points), [
    [0.125, 0.25],
    [0.25, 0.5],
    [0.25, 0.6],
    [2, 0.8],
    [8, 0.8],
  ]);
  assert.deepEqual(curveInDomain([{ fps: NaN, sensitivity: NaN }]), []);
});

Deno.test("FrocChart draws one curve, band and seven markers per series on a log2 axis", () => {
  const series = {
    label: "a",
    points: [{ fps: 0, sensitivity: 0 }, { fps: 1, sensitivity: 0.5 }],
    band: {
      rates: [0.125, 1, 8],
      lower: [0, 0.4, 0.4],
      upper: [0.2, 0.6, 0.6],
    },
    sensitivities: [0.0625, 0.125, 0.25, 0.5, 0.5, 0.5, 0.5],
  };
  const svg = renderToString(
    <FrocChart series={[series, { ...series, label: "b", band: undefined }]} />,
  );
  assert.equal(svg.match(/class="curve"/g)!.length, 2);
  assert.equal(svg.match(/class="band"/g)!.length, 1);
  assert.equal(svg.match(/<circle/g)!.length, 14);
  // 1 FP/scan sits halfway along the axis: left 56, width 640 - 56 - 18.
  assert.match(svg, /<text x="339\.0" y="\d+" text-anchor="middle">1<\/text>/);
  for (const tick of ["1/8", "1/4", "1/2", "2", "4", "8"]) {
    assert.ok(svg.includes(`>${tick}</text>`), tick);
  }
});
