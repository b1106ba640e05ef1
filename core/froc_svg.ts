/**
 * An SVG picture of a FROC curve: log2 x axis from 1/8 to 8 false positives
 * per scan, sensitivity 0–1, the bootstrap band, the seven CPM operating
 * points, labelled axes and the CPM (with its interval) in the title.
 * The output is a pure function of its inputs (fixed number formatting, no
 * dates or random ids), so equal inputs give byte-identical files.
 *
 * @module
 */

import {
  FROC_RATES,
  type FrocBootstrap,
  type FrocResult,
  interpNumpy,
} from "./froc.ts";

/** Options of {@linkcode renderFrocSvg}. */
export interface FrocSvgOptions {
  /** The system's name, shown in the title. */
  readonly name?: string;
  /** A bootstrap of the result: draws its band and puts the CPM interval in the title. */
  readonly bootstrap?: FrocBootstrap;
  /** Width in px (default 640). */
  readonly width?: number;
  /** Height in px (default 480). */
  readonly height?: number;
}

const MIN_RATE = 0.125;
const MAX_RATE = 8;

/**
 * Renders a FROC result as a standalone SVG document.
 *
 * @param result from `computeFroc`
 * @param options name, bootstrap band, size
 * @returns the SVG text
 *
 * @example
 * ```ts
 * import { computeFroc } from "./froc.ts";
 * import { renderFrocSvg } from "./froc_svg.ts";
 * const result = computeFroc({
 *   seriesuids: ["A"],
 *   annotations: [{ seriesuid: "A", worldMm: [0, 0, 0], diameterMm: 6 }],
 *   marks: [{ seriesuid: "A", worldMm: [0, 0, 0], score: 0.9 }],
 * });
 * renderFrocSvg(result, { name: "demo" }).startsWith("<svg"); // true
 * ```
 */
export function renderFrocSvg(
  result: FrocResult,
  options: FrocSvgOptions = {},
): string {
  const width = options.width ?? 640;
  const height = options.height ?? 480;
  const left = 64, right = 24, top = 48, bottom = 56;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const px = (fps: number) =>
    left + ((Math.log2(fps) - Math.log2(MIN_RATE)) / 6) * plotW;
  const py = (sens: number) => top + (1 - sens) * plotH;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
  );
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<title>${escapeXml(titleText(result, options))}</title>`);

  // Grid, ticks and tick labels.
  out.push(`<g stroke="#dddddd" stroke-width="1">`);
  for (const rate of FROC_RATES) {
    out.push(
      `<line x1="${f(px(rate))}" y1="${f(top)}" x2="${f(px(rate))}" y2="${
        f(top + plotH)
      }"/>`,
    );
  }
  for (let k = 0; k <= 10; k++) {
    out.push(
      `<line x1="${f(left)}" y1="${f(py(k / 10))}" x2="${
        f(left + plotW)
      }" y2="${f(py(k / 10))}"/>`,
    );
  }
  out.push(`</g>`);
  out.push(`<g fill="#333333">`);
  for (const rate of FROC_RATES) {
    out.push(
      `<text x="${f(px(rate))}" y="${
        f(top + plotH + 16)
      }" text-anchor="middle">${rateLabel(rate)}</text>`,
    );
  }
  for (let k = 0; k <= 10; k += 2) {
    out.push(
      `<text x="${f(left - 6)}" y="${f(py(k / 10) + 4)}" text-anchor="end">${
        (k / 10).toFixed(1)
      }</text>`,
    );
  }
  out.push(
    `<text x="${f(left + plotW / 2)}" y="${
      f(height - 14)
    }" text-anchor="middle">Average number of false positives per scan</text>`,
  );
  out.push(
    `<text x="16" y="${
      f(top + plotH / 2)
    }" text-anchor="middle" transform="rotate(-90 16 ${
      f(top + plotH / 2)
    })">Sensitivity</text>`,
  );
  out.push(
    `<text x="${
      f(width / 2)
    }" y="24" text-anchor="middle" font-size="14" font-weight="bold">${
      escapeXml(titleText(result, options))
    }</text>`,
  );
  out.push(`</g>`);
  out.push(
    `<rect x="${f(left)}" y="${f(top)}" width="${f(plotW)}" height="${
      f(plotH)
    }" fill="none" stroke="#333333"/>`,
  );

  // The bootstrap band.
  const band = options.bootstrap?.band;
  if (band) {
    const upper: string[] = [];
    const lower: string[] = [];
    band.rates.forEach((rate, i) => {
      if (Number.isFinite(band.upper[i]) && Number.isFinite(band.lower[i])) {
        upper.push(`${f(px(rate))},${f(py(band.upper[i]))}`);
        lower.push(`${f(px(rate))},${f(py(band.lower[i]))}`);
      }
    });
    if (upper.length > 1) {
      out.push(
        `<polygon class="band" points="${
          [...upper, ...lower.reverse()].join(" ")
        }" fill="#1f77b4" fill-opacity="0.15" stroke="none"/>`,
      );
    }
  }

  // The curve and the seven operating points.
  if (Number.isFinite(result.cpm)) {
    const path = curvePixels(result, px, py);
    out.push(
      `<polyline class="curve" points="${
        path.map(([x, y]) => `${f(x)},${f(y)}`).join(" ")
      }" fill="none" stroke="#1f77b4" stroke-width="2"/>`,
    );
    out.push(`<g class="points" fill="#1f77b4" stroke="#ffffff">`);
    result.sensitivities.forEach((sens, i) => {
      const rate = FROC_RATES[i];
      out.push(
        `<circle cx="${f(px(rate))}" cy="${f(py(sens))}" r="4"><title>${
          rateLabel(rate)
        } FP/scan: ${sens.toFixed(3)}</title></circle>`,
      );
    });
    out.push(`</g>`);
  } else {
    out.push(
      `<text x="${f(left + plotW / 2)}" y="${
        f(top + plotH / 2)
      }" text-anchor="middle" fill="#aa0000">No nodule detected: sensitivity undefined</text>`,
    );
  }
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}

function titleText(result: FrocResult, options: FrocSvgOptions): string {
  const name = options.name ? `FROC: ${options.name}` : "FROC";
  if (!Number.isFinite(result.cpm)) return `${name}, CPM undefined`;
  const ci = options.bootstrap?.cpm;
  const interval = ci && Number.isFinite(ci.lower)
    ? ` (${Math.round(options.bootstrap!.confidence * 100)}% CI ${
      ci.lower.toFixed(3)
    }–${ci.upper.toFixed(3)})`
    : "";
  return `${name}, CPM ${result.cpm.toFixed(3)}${interval}`;
}

/**
 * Pixel path of the curve within [1/8, 8]: the operating points in range,
 * the interpolated ends, linear segments subdivided (they bend on a log
 * axis), then points that add nothing at pixel resolution dropped.
 */
function curvePixels(
  result: FrocResult,
  px: (fps: number) => number,
  py: (sens: number) => number,
): [number, number][] {
  const xp = result.points.map((p) => p.fps);
  const yp = result.points.map((p) => p.sensitivity);
  const data: [number, number][] = [[
    MIN_RATE,
    interpNumpy(MIN_RATE, xp, yp),
  ]];
  for (const p of result.points) {
    if (p.fps > MIN_RATE && p.fps < MAX_RATE) data.push([p.fps, p.sensitivity]);
  }
  data.push([MAX_RATE, interpNumpy(MAX_RATE, xp, yp)]);
  const pixels: [number, number][] = [];
  for (let i = 0; i < data.length; i++) {
    const [x1, y1] = data[i];
    if (i > 0) {
      const [x0, y0] = data[i - 1];
      // Subdivide so that each piece spans at most 1/32 octave.
      const pieces = x1 > x0 && y1 !== y0
        ? Math.min(64, Math.ceil((Math.log2(x1) - Math.log2(x0)) * 32))
        : 1;
      for (let k = 1; k < pieces; k++) {
        const x = x0 * 2 ** ((Math.log2(x1) - Math.log2(x0)) * k / pieces);
        pixels.push([px(x), py(y0 + (y1 - y0) * (x - x0) / (x1 - x0))]);
      }
    }
    pixels.push([px(x1), py(y1)]);
  }
  // Round to the output resolution, then drop repeats and the middle of
  // vertical or horizontal runs.
  const rounded = pixels.map(([x, y]) =>
    [Number(f(x)), Number(f(y))] as [number, number]
  );
  const kept: [number, number][] = [];
  for (const p of rounded) {
    const last = kept[kept.length - 1];
    if (last && last[0] === p[0] && last[1] === p[1]) continue;
    const before = kept[kept.length - 2];
    if (
      before && last &&
      ((before[0] === last[0] && last[0] === p[0]) ||
        (before[1] === last[1] && last[1] === p[1]))
    ) {
      kept[kept.length - 1] = p;
      continue;
    }
    kept.push(p);
  }
  return kept;
}

function rateLabel(rate: number): string {
  return rate < 1 ? `1/${1 / rate}` : String(rate);
}

/** Fixed two-decimal pixel coordinates (no "-0.00"). */
function f(value: number): string {
  const text = value.toFixed(2);
  return text === "-0.00" ? "0.00" : text;
}

function escapeXml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}
