/**
 * The FROC plot as server-rendered SVG: sensitivity against false positives
 * per scan on a log2 axis from 1/8 to 8 (the LUNA16 figure), one curve per
 * series with its bootstrap band and markers at the seven CPM rates.
 *
 * @module
 */

/** One curve. */
export interface FrocSeries {
  /** Legend label. */
  readonly label: string;
  /** Operating points, ascending in fps (the curve as evaluated). */
  readonly points: readonly { fps: number; sensitivity: number }[];
  /** Pointwise 95 % band, when bootstrapped. */
  readonly band?: {
    readonly rates: readonly number[];
    readonly lower: readonly number[];
    readonly upper: readonly number[];
  };
  /** The seven sensitivities (markers at 1/8 … 8). */
  readonly sensitivities?: readonly number[];
}

/** Props of {@linkcode FrocChart}. */
export interface FrocChartProps {
  /** The curves (colours follow {@linkcode SERIES_COLORS}). */
  readonly series: readonly FrocSeries[];
  /** Accessible title. */
  readonly title?: string;
  /** Pixel width of the drawing (it scales to its box). */
  readonly width?: number;
  /** Pixel height. */
  readonly height?: number;
}

/** Colours of successive series (colour-blind-safe palette, Okabe–Ito). */
export const SERIES_COLORS: readonly string[] = [
  "#0072B2",
  "#D55E00",
  "#009E73",
  "#CC79A7",
  "#E69F00",
  "#56B4E9",
  "#000000",
  "#F0E442",
];

const RATES = [0.125, 0.25, 0.5, 1, 2, 4, 8];
const RATE_TICKS = ["1/8", "1/4", "1/2", "1", "2", "4", "8"];
const X_MIN = 0.125, X_MAX = 8;

/**
 * Linear interpolation with numpy `interp` rules: below the first abscissa
 * the first value, beyond the last the last value, at an abscissa shared by
 * several points the last of them.
 */
export function interpolate(
  x: number,
  xs: readonly number[],
  ys: readonly number[],
): number {
  const n = xs.length;
  if (n === 0) return NaN;
  if (x < xs[0]) return ys[0];
  if (x >= xs[n - 1]) return ys[n - 1];
  let j = 0;
  while (j + 1 < n && xs[j + 1] <= x) j++;
  if (xs[j] === x) return ys[j];
  return ys[j] + ((ys[j + 1] - ys[j]) * (x - xs[j])) / (xs[j + 1] - xs[j]);
}

/** The curve's points inside [1/8, 8], with interpolated end points. */
export function curveInDomain(
  points: readonly { fps: number; sensitivity: number }[],
): [number, number][] {
  const valid = points.filter((p) =>
    Number.isFinite(p.fps) && Number.isFinite(p.sensitivity)
  );
  if (valid.length === 0) return [];
  const xs = valid.map((p) => p.fps), ys = valid.map((p) => p.sensitivity);
  const out: [number, number][] = [[X_MIN, interpolate(X_MIN, xs, ys)]];
  for (const p of valid) {
    if (p.fps > X_MIN && p.fps < X_MAX) out.push([p.fps, p.sensitivity]);
  }
  out.push([X_MAX, interpolate(X_MAX, xs, ys)]);
  return out;
}

/** The chart. */
export function FrocChart(
  { series, title = "FROC", width = 640, height = 400 }: FrocChartProps,
) {
  const m = { left: 56, right: 18, top: 16, bottom: 48 };
  const plotW = width - m.left - m.right, plotH = height - m.top - m.bottom;
  const x = (fps: number) =>
    m.left + ((Math.log2(fps) - Math.log2(X_MIN)) / 6) * plotW;
  const y = (s: number) => m.top + (1 - s) * plotH;
  const f = (v: number) => v.toFixed(1);
  const path = (pts: readonly [number, number][]) =>
    pts.map(([a, b], i) => `${i === 0 ? "M" : "L"}${f(x(a))},${f(y(b))}`)
      .join("");
  return (
    <svg
      class="chart froc-chart"
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={title}
      data-series={series.length}
    >
      <title>{title}</title>
      <g class="grid">
        {RATES.map((r) => (
          <line x1={f(x(r))} x2={f(x(r))} y1={m.top} y2={m.top + plotH} />
        ))}
        {[0, 0.2, 0.4, 0.6, 0.8, 1].map((s) => (
          <line x1={m.left} x2={m.left + plotW} y1={f(y(s))} y2={f(y(s))} />
        ))}
      </g>
      <g class="axis">
        <line
          x1={m.left}
          x2={m.left + plotW}
          y1={m.top + plotH}
          y2={m.top + plotH}
        />
        <line x1={m.left} x2={m.left} y1={m.top} y2={m.top + plotH} />
        {RATES.map((r, i) => (
          <text x={f(x(r))} y={m.top + plotH + 18} text-anchor="middle">
            {RATE_TICKS[i]}
          </text>
        ))}
        {[0, 0.2, 0.4, 0.6, 0.8, 1].map((s) => (
          <text x={m.left - 8} y={f(y(s) + 4)} text-anchor="end">
            {s.toFixed(1)}
          </text>
        ))}
        <text
          x={m.left + plotW / 2}
          y={height - 8}
          text-anchor="middle"
          class="axis-label"
        >
          Average false positives per scan (log₂)
        </text>
        <text
          transform={`translate(14 ${m.top + plotH / 2}) rotate(-90)`}
          text-anchor="middle"
          class="axis-label"
        >
          Sensitivity
        </text>
      </g>
      {series.map((s, i) => {
        const color = SERIES_COLORS[i % SERIES_COLORS.length];
        const band = s.band ? bandPath(s.band, x, y) : "";
        const curve = curveInDomain(s.points);
        return (
          <g class="series" data-label={s.label}>
            {band
              ? <path class="band" d={band} fill={color} fill-opacity="0.14" />
              : null}
            {curve.length > 0
              ? (
                <path
                  class="curve"
                  d={path(curve)}
                  fill="none"
                  stroke={color}
                  stroke-width="2"
                />
              )
              : null}
            {(s.sensitivities ?? []).map((v, k) =>
              Number.isFinite(v)
                ? (
                  <circle cx={f(x(RATES[k]))} cy={f(y(v))} r="3.5" fill={color}>
                    <title>
                      {`${s.label} at ${RATE_TICKS[k]} FP/scan: ${
                        v.toFixed(3)
                      }`}
                    </title>
                  </circle>
                )
                : null
            )}
          </g>
        );
      })}
      <g class="legend">
        {series.map((s, i) => {
          const ly = m.top + plotH - 12 - (series.length - 1 - i) * 18;
          const lx = m.left + plotW - 12;
          return (
            <g>
              <line
                x1={lx - 22}
                x2={lx - 4}
                y1={ly}
                y2={ly}
                stroke={SERIES_COLORS[i % SERIES_COLORS.length]}
                stroke-width="3"
              />
              <text x={lx - 28} y={ly + 4} text-anchor="end">
                {s.label}
              </text>
            </g>
          );
        })}
      </g>
    </svg>
  );
}

function bandPath(
  band: NonNullable<FrocSeries["band"]>,
  x: (v: number) => number,
  y: (v: number) => number,
): string {
  const upper: string[] = [], lower: string[] = [];
  band.rates.forEach((r, i) => {
    const lo = band.lower[i], hi = band.upper[i];
    if (
      r < X_MIN || r > X_MAX || !Number.isFinite(lo) || !Number.isFinite(hi)
    ) {
      return;
    }
    upper.push(`${x(r).toFixed(1)},${y(hi).toFixed(1)}`);
    lower.push(`${x(r).toFixed(1)},${y(lo).toFixed(1)}`);
  });
  if (upper.length < 2) return "";
  return `M${upper.join("L")}L${lower.reverse().join("L")}Z`;
}
