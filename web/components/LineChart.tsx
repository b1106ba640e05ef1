/**
 * A small server-rendered SVG line chart for training curves: one or more
 * series against the global step, stage boundaries marked.
 *
 * @module
 */

import { formatValue } from "./format.ts";
import { SERIES_COLORS } from "./FrocChart.tsx";

/** One line. */
export interface LineSeries {
  /** Legend label. */
  readonly label: string;
  /** (step, value) pairs, ascending in step. */
  readonly points: readonly (readonly [number, number])[];
}

/** Props of {@linkcode LineChart}. */
export interface LineChartProps {
  /** Chart title (the metric's name). */
  readonly title: string;
  /** The lines. */
  readonly series: readonly LineSeries[];
  /** Steps where a new stage begins (dashed vertical lines). */
  readonly stageStarts?: readonly number[];
  /** Log-scale y axis (for losses spanning decades; needs positive values). */
  readonly logY?: boolean;
  /** Width in px. */
  readonly width?: number;
  /** Height in px. */
  readonly height?: number;
}

/** Nice round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 4): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((k) => k * magnitude).find((s) =>
    s >= raw
  )!;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
    ticks.push(Number(t.toPrecision(12)));
  }
  return ticks;
}

/** Keeps at most `limit` points, evenly spaced, so long runs draw quickly. */
export function thin<T>(points: readonly T[], limit = 400): readonly T[] {
  if (points.length <= limit) return points;
  const out: T[] = [];
  const stride = (points.length - 1) / (limit - 1);
  for (let i = 0; i < limit; i++) out.push(points[Math.round(i * stride)]);
  return out;
}

/** The chart. */
export function LineChart(
  { title, series, stageStarts = [], logY = false, width = 420, height = 220 }:
    LineChartProps,
) {
  const m = { left: 54, right: 12, top: 26, bottom: 28 };
  const plotW = width - m.left - m.right, plotH = height - m.top - m.bottom;
  const all = series.flatMap((s) =>
    s.points.filter(([, v]) => Number.isFinite(v) && (!logY || v > 0))
  );
  if (all.length === 0) {
    return (
      <svg class="chart line-chart" viewBox={`0 0 ${width} ${height}`}>
        <text x={m.left} y={18} class="chart-title">{title}</text>
        <text x={width / 2} y={height / 2} text-anchor="middle">no data</text>
      </svg>
    );
  }
  const xs = all.map(([s]) => s), vs = all.map(([, v]) => v);
  const x0 = Math.min(...xs), x1 = Math.max(...xs, x0 + 1);
  const tv = (v: number) => (logY ? Math.log10(v) : v);
  let y0 = Math.min(...vs.map(tv)), y1 = Math.max(...vs.map(tv));
  if (y1 - y0 < 1e-12) {
    y0 -= 0.5;
    y1 += 0.5;
  }
  const pad = (y1 - y0) * 0.05;
  y0 -= pad;
  y1 += pad;
  const x = (s: number) => m.left + ((s - x0) / (x1 - x0)) * plotW;
  const y = (v: number) => m.top + (1 - (tv(v) - y0) / (y1 - y0)) * plotH;
  const yTicks = logY
    ? niceTicks(Math.ceil(y0), Math.floor(y1), 4).filter(Number.isInteger)
      .map((e) => 10 ** e)
    : niceTicks(y0, y1, 4);
  const xTicks = niceTicks(x0, x1, 5).filter((t) => Number.isInteger(t));
  return (
    <svg
      class="chart line-chart"
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={title}
    >
      <text x={m.left} y={16} class="chart-title">{title}</text>
      <g class="grid">
        {yTicks.map((t) => (
          <line
            x1={m.left}
            x2={m.left + plotW}
            y1={y(t).toFixed(1)}
            y2={y(t).toFixed(1)}
          />
        ))}
      </g>
      <g class="axis">
        <line
          x1={m.left}
          x2={m.left + plotW}
          y1={m.top + plotH}
          y2={m.top + plotH}
        />
        {yTicks.map((t) => (
          <text x={m.left - 6} y={(y(t) + 4).toFixed(1)} text-anchor="end">
            {formatValue(t)}
          </text>
        ))}
        {xTicks.map((t) => (
          <text
            x={x(t).toFixed(1)}
            y={m.top + plotH + 16}
            text-anchor="middle"
          >
            {t}
          </text>
        ))}
      </g>
      {stageStarts.map((s) => (
        <line
          class="stage-line"
          x1={x(s).toFixed(1)}
          x2={x(s).toFixed(1)}
          y1={m.top}
          y2={m.top + plotH}
        />
      ))}
      {series.map((s, i) => {
        const pts = thin(
          s.points.filter(([, v]) => Number.isFinite(v) && (!logY || v > 0)),
        );
        const d = pts.map(([a, b], k) =>
          `${k === 0 ? "M" : "L"}${x(a).toFixed(1)},${y(b).toFixed(1)}`
        ).join("");
        return (
          <path
            d={d}
            fill="none"
            stroke={SERIES_COLORS[i % SERIES_COLORS.length]}
            stroke-width="1.6"
          >
            <title>{s.label}</title>
          </path>
        );
      })}
      {series.length > 1
        ? (
          <g class="legend">
            {series.map((s, i) => (
              <text
                x={width - m.right - 4}
                y={m.top + 12 + i * 14}
                text-anchor="end"
                fill={SERIES_COLORS[i % SERIES_COLORS.length]}
              >
                {s.label}
              </text>
            ))}
          </g>
        )
        : null}
    </svg>
  );
}
