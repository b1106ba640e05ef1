/**
 * Number, time and interval formatting shared by pages and islands (pure
 * functions, safe in the browser).
 *
 * @module
 */

/** A proportion as `0.842` (three decimals), `–` for NaN, null or undefined. */
export function formatRate(value: number | null | undefined): string {
  return value === null || value === undefined || Number.isNaN(value)
    ? "–"
    : value.toFixed(3);
}

/** An interval as `[0.801, 0.880]`. */
export function formatInterval(
  ci: readonly (number | null)[] | null | undefined,
): string {
  if (!ci) return "";
  return `[${formatRate(ci[0])}, ${formatRate(ci[1])}]`;
}

/** A signed difference as `+0.031` / `−0.012`. */
export function formatDelta(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  const text = Math.abs(value).toFixed(3);
  return value > 0 ? `+${text}` : value < 0 ? `−${text}` : `±${text}`;
}

/** A p-value as `0.012`, `<0.001`. */
export function formatPValue(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  return value < 0.001 ? "<0.001" : value.toFixed(3);
}

/** A duration as `42 s`, `3 min 05 s`, `2 h 07 min`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) {
    return "–";
  }
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min`;
}

/** A time as `2026-11-26 17:05` (UTC). */
export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "–";
  return new Date(ms).toISOString().slice(0, 16).replace("T", " ");
}

/** A metric value with 4 significant digits. */
export function formatValue(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  if (value === 0) return "0";
  const abs = Math.abs(value);
  return abs >= 1e4 || abs < 1e-3
    ? value.toExponential(2)
    : String(Number(value.toPrecision(4)));
}

/** Millimetres as `6.4 mm`; `no size` for LUNA16's negative diameters. */
export function formatMm(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return "–";
  }
  return value < 0 ? "no size" : `${value.toFixed(1)} mm`;
}

/** A slot value `{ plugin, options }` as `topk(k=3, per_sample=true)`; other values as JSON. */
export function formatChoice(value: unknown): string {
  if (
    value !== null && typeof value === "object" && !Array.isArray(value) &&
    typeof (value as { plugin?: unknown }).plugin === "string"
  ) {
    const { plugin, options } = value as { plugin: string; options?: unknown };
    const entries = options && typeof options === "object"
      ? Object.entries(options as Record<string, unknown>)
      : [];
    return entries.length === 0
      ? plugin
      : `${plugin}(${
        entries.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(", ")
      })`;
  }
  return JSON.stringify(value);
}
