import assert from "node:assert/strict";
import { curveCharts } from "./run_view.ts";

const sample = (stage: number, step: number, name: string, value: number) => ({
  stage,
  step,
  name,
  value,
  time: 0,
});

Deno.test("curveCharts() puts loss terms together, the learning rate apart, stages end to end", () => {
  const { charts, stageStarts } = curveCharts([
    sample(0, 0, "loss", 1),
    sample(0, 0, "lr", 0.01),
    sample(0, 9, "loss", 0.5),
    sample(0, 9, "classification", 0.3),
    sample(1, 0, "loss", 0.4),
    sample(1, 4, "lr", 0.001),
  ]);
  assert.deepEqual(stageStarts, [10]);
  assert.equal(charts.length, 2);
  assert.equal(charts[0].title, "Loss terms");
  assert.deepEqual(charts[0].series.map((s) => s.label), [
    "loss",
    "classification",
  ]);
  assert.deepEqual(charts[0].series[0].points, [[0, 1], [9, 0.5], [10, 0.4]]);
  assert.deepEqual(charts[1], {
    title: "Learning rate",
    logY: true,
    series: [{ label: "lr", points: [[0, 0.01], [14, 0.001]] }],
  });
  assert.deepEqual(curveCharts([]), { charts: [], stageStarts: [] });
});
