/**
 * The CT viewer: axial slices of a scan fetched from the API, shown with a
 * chosen intensity window, the lung-mask outline, ground-truth nodules
 * (circles) and detections (boxes with scores). Scroll with the wheel, the
 * slider or the arrow keys.
 *
 * @module
 */

import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { formatMm, formatValue } from "../components/format.ts";
import type { ScanMeta } from "../server/scans.ts";

/** Props of the viewer. */
export interface CtViewerProps {
  /** The run whose results are drawn. */
  readonly runId: string;
  /** Geometry, mask availability, findings and detections (voxels). */
  readonly meta: ScanMeta;
  /** Slice shown first. */
  readonly initialZ: number;
  /** A position to point at (voxels), e.g. the finding that was clicked. */
  readonly focus: readonly [number, number, number] | null;
}

/** Intensity windows (width, level in HU). */
const PRESETS: Record<string, { width: number; level: number; label: string }> =
  {
    lung: { width: 1500, level: -600, label: "Lung (W 1500, L −600)" },
    mediastinum: { width: 350, level: 40, label: "Mediastinum (W 350, L 40)" },
    bone: { width: 1800, level: 400, label: "Bone (W 1800, L 400)" },
  };

const COLORS = {
  mask: [56, 189, 248] as const,
  detected: "#22c55e",
  missed: "#ef4444",
  excluded: "#a3a3a3",
  tp: "#facc15",
  fp: "#f472b6",
  focus: "#ffffff",
};

const DISPLAY_WIDTH = 560;

/** The island. */
export default function CtViewer(
  { runId, meta, initialZ, focus }: CtViewerProps,
) {
  const [nz, ny, nx] = meta.shape;
  const [z, setZ] = useState(Math.min(nz - 1, Math.max(0, initialZ)));
  const [preset, setPreset] = useState("lung");
  const [width, setWidth] = useState(PRESETS.lung.width);
  const [level, setLevel] = useState(PRESETS.lung.level);
  const [showMask, setShowMask] = useState(meta.mask.available);
  const [showTruth, setShowTruth] = useState(true);
  const [showDetections, setShowDetections] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const cache = useRef(new Map<string, Promise<ArrayBuffer>>());

  // Physical aspect ratio: pixels are spacing-sized, not square.
  const displayHeight = Math.round(
    DISPLAY_WIDTH * (ny * meta.spacingMm[1]) / (nx * meta.spacingMm[2]),
  );
  const base = `/api/runs/${encodeURIComponent(runId)}/scans/${
    encodeURIComponent(meta.seriesuid)
  }/slices`;

  const fetchLayer = (slice: number, layer: "image" | "mask") => {
    const key = `${layer}:${slice}`;
    let entry = cache.current.get(key);
    if (!entry) {
      entry = fetch(`${base}/${slice}?layer=${layer}`).then(async (r) => {
        if (!r.ok) {
          const body = await r.json().catch(() => ({}));
          throw new Error(body.error ?? `HTTP ${r.status}`);
        }
        return r.arrayBuffer();
      });
      entry.catch(() => cache.current.delete(key));
      cache.current.set(key, entry);
      if (cache.current.size > 160) {
        cache.current.delete(cache.current.keys().next().value!);
      }
    }
    return entry;
  };

  useEffect(() => {
    let cancelled = false;
    const draw = async () => {
      const [imageBuffer, maskBuffer] = await Promise.all([
        fetchLayer(z, "image"),
        showMask && meta.mask.available
          ? fetchLayer(z, "mask")
          : Promise.resolve(null),
      ]);
      if (cancelled || !canvas.current) return;
      const hu = new Int16Array(imageBuffer);
      const mask = maskBuffer ? new Uint8Array(maskBuffer) : null;
      const offscreen = document.createElement("canvas");
      offscreen.width = nx;
      offscreen.height = ny;
      const octx = offscreen.getContext("2d")!;
      const pixels = octx.createImageData(nx, ny);
      const lo = level - width / 2;
      const scale = 255 / Math.max(1, width);
      for (let i = 0; i < nx * ny; i++) {
        const g = Math.max(0, Math.min(255, (hu[i] - lo) * scale));
        pixels.data[4 * i] = g;
        pixels.data[4 * i + 1] = g;
        pixels.data[4 * i + 2] = g;
        pixels.data[4 * i + 3] = 255;
      }
      if (mask) {
        // Outline: mask pixels with a 4-neighbour outside the mask.
        for (let y = 0; y < ny; y++) {
          for (let x = 0; x < nx; x++) {
            const i = y * nx + x;
            if (mask[i] === 0) continue;
            const edge = x === 0 || y === 0 || x === nx - 1 || y === ny - 1 ||
              mask[i - 1] === 0 || mask[i + 1] === 0 || mask[i - nx] === 0 ||
              mask[i + nx] === 0;
            if (!edge) continue;
            pixels.data[4 * i] = COLORS.mask[0];
            pixels.data[4 * i + 1] = COLORS.mask[1];
            pixels.data[4 * i + 2] = COLORS.mask[2];
          }
        }
      }
      octx.putImageData(pixels, 0, 0);
      const c = canvas.current;
      const ctx = c.getContext("2d")!;
      ctx.imageSmoothingEnabled = true;
      ctx.clearRect(0, 0, c.width, c.height);
      ctx.drawImage(offscreen, 0, 0, c.width, c.height);
      const kx = c.width / nx, ky = c.height / ny;
      let circles = 0, boxes = 0;
      if (showTruth) {
        for (const f of meta.findings) {
          const dz = z - f.voxel[0];
          if (Math.abs(dz) > f.radiusVoxels[0]) continue;
          const shrink = Math.sqrt(
            Math.max(0, 1 - (dz / f.radiusVoxels[0]) ** 2),
          );
          ctx.beginPath();
          ctx.ellipse(
            (f.voxel[2] + 0.5) * kx,
            (f.voxel[1] + 0.5) * ky,
            Math.max(2, f.radiusVoxels[2] * shrink * kx + 3),
            Math.max(2, f.radiusVoxels[1] * shrink * ky + 3),
            0,
            0,
            2 * Math.PI,
          );
          ctx.setLineDash(f.kind === "excluded" ? [4, 3] : []);
          ctx.strokeStyle = f.kind === "excluded"
            ? COLORS.excluded
            : f.detected
            ? COLORS.detected
            : COLORS.missed;
          ctx.lineWidth = 2;
          ctx.stroke();
          circles++;
        }
        ctx.setLineDash([]);
      }
      if (showDetections) {
        ctx.font = "12px system-ui, sans-serif";
        for (const d of meta.detections) {
          if (d.status === "capped") continue;
          if (Math.abs(z - d.voxel[0]) > d.radiusVoxels[0]) continue;
          const w = 2 * d.radiusVoxels[2] * kx, h = 2 * d.radiusVoxels[1] * ky;
          const x0 = (d.voxel[2] + 0.5) * kx - w / 2;
          const y0 = (d.voxel[1] + 0.5) * ky - h / 2;
          ctx.strokeStyle = d.status === "tp"
            ? COLORS.tp
            : d.status === "fp"
            ? COLORS.fp
            : COLORS.excluded;
          ctx.lineWidth = 2;
          ctx.strokeRect(x0, y0, w, h);
          ctx.fillStyle = ctx.strokeStyle;
          ctx.fillText(formatValue(d.score), x0, Math.max(10, y0 - 3));
          boxes++;
        }
      }
      if (focus && Math.abs(z - focus[0]) < 1) {
        const fx = (focus[2] + 0.5) * kx, fy = (focus[1] + 0.5) * ky;
        ctx.strokeStyle = COLORS.focus;
        ctx.lineWidth = 1;
        ctx.beginPath();
        for (
          const [ax, ay, bx, by] of [[-18, 0, -10, 0], [10, 0, 18, 0], [
            0,
            -18,
            0,
            -10,
          ], [0, 10, 0, 18]]
        ) {
          ctx.moveTo(fx + ax, fy + ay);
          ctx.lineTo(fx + bx, fy + by);
        }
        ctx.stroke();
      }
      c.dataset.slice = String(z);
      c.dataset.boxes = String(boxes);
      c.dataset.circles = String(circles);
      setError(null);
    };
    draw().catch((e) => {
      if (!cancelled) setError(e instanceof Error ? e.message : String(e));
    });
    // Prefetch neighbours so scrolling stays smooth.
    for (const dz of [1, -1, 2, -2]) {
      const n = z + dz;
      if (n >= 0 && n < nz) fetchLayer(n, "image").catch(() => {});
    }
    return () => {
      cancelled = true;
    };
  }, [z, width, level, showMask, showTruth, showDetections]);

  const step = (delta: number) =>
    setZ((current) => Math.min(nz - 1, Math.max(0, current + delta)));

  const choosePreset = (name: string) => {
    setPreset(name);
    if (PRESETS[name]) {
      setWidth(PRESETS[name].width);
      setLevel(PRESETS[name].level);
    }
  };

  const onSlice = useMemo(() => ({
    findings: meta.findings.filter((f) =>
      Math.abs(z - f.voxel[0]) <= f.radiusVoxels[0]
    ).length,
    detections: meta.detections.filter((d) =>
      d.status !== "capped" && Math.abs(z - d.voxel[0]) <= d.radiusVoxels[0]
    ).length,
  }), [z]);

  const jump = (voxelZ: number) =>
    setZ(Math.min(nz - 1, Math.max(0, Math.round(voxelZ))));

  return (
    <div class="viewer">
      <div class="viewer-stage">
        <canvas
          ref={canvas}
          id="ct-canvas"
          width={DISPLAY_WIDTH}
          height={displayHeight}
          tabIndex={0}
          aria-label={`Axial slice ${z + 1} of ${nz}`}
          onWheel={(e) => {
            e.preventDefault();
            step(e.deltaY > 0 ? 1 : -1);
          }}
          onKeyDown={(e) => {
            if (e.key === "ArrowUp" || e.key === "ArrowRight") step(1);
            else if (e.key === "ArrowDown" || e.key === "ArrowLeft") step(-1);
            else if (e.key === "PageUp") step(10);
            else if (e.key === "PageDown") step(-10);
            else return;
            e.preventDefault();
          }}
        />
        <div class="slice-label">
          slice {z + 1} / {nz} · {onSlice.findings} findings ·{" "}
          {onSlice.detections} detections on this slice
        </div>
      </div>
      <div class="viewer-controls card">
        <label>
          Slice
          <div class="row">
            <button
              type="button"
              class="button"
              onClick={() => step(-1)}
              aria-label="Previous slice"
            >
              −
            </button>
            <input
              type="range"
              min={0}
              max={nz - 1}
              value={z}
              onInput={(e) =>
                setZ(Number((e.target as HTMLInputElement).value))}
              aria-label="Slice"
              id="slice-slider"
            />
            <button
              type="button"
              class="button"
              onClick={() => step(1)}
              aria-label="Next slice"
            >
              +
            </button>
          </div>
        </label>
        <label>
          Window
          <select
            id="window-preset"
            value={preset}
            onChange={(e) =>
              choosePreset((e.target as HTMLSelectElement).value)}
          >
            {Object.entries(PRESETS).map(([key, p]) => (
              <option value={key}>{p.label}</option>
            ))}
            <option value="custom">Custom</option>
          </select>
        </label>
        <div class="row">
          <label>
            Width (HU)
            <input
              type="number"
              min={1}
              value={width}
              onInput={(e) => {
                setPreset("custom");
                setWidth(Number((e.target as HTMLInputElement).value) || 1);
              }}
            />
          </label>
          <label>
            Level (HU)
            <input
              type="number"
              value={level}
              onInput={(e) => {
                setPreset("custom");
                setLevel(Number((e.target as HTMLInputElement).value) || 0);
              }}
            />
          </label>
        </div>
        <div>
          <h3>Layers</h3>
          <ul class="legend-list">
            <li>
              <input
                type="checkbox"
                checked={showMask}
                disabled={!meta.mask.available}
                onChange={() => setShowMask(!showMask)}
                id="layer-mask"
              />
              <span
                class="swatch"
                style={{ borderColor: `rgb(${COLORS.mask.join(",")})` }}
              />
              <label for="layer-mask">Lung mask outline</label>
            </li>
            <li>
              <input
                type="checkbox"
                checked={showTruth}
                onChange={() => setShowTruth(!showTruth)}
                id="layer-truth"
              />
              <span
                class="swatch"
                style={{ borderColor: COLORS.detected, borderRadius: "50%" }}
              />
              <label for="layer-truth">
                Nodules (green found, red missed, grey excluded)
              </label>
            </li>
            <li>
              <input
                type="checkbox"
                checked={showDetections}
                onChange={() => setShowDetections(!showDetections)}
                id="layer-detections"
              />
              <span class="swatch" style={{ borderColor: COLORS.fp }} />
              <label for="layer-detections">
                Detections (yellow hit, pink false positive)
              </label>
            </li>
          </ul>
          <p class="sub">mask: {meta.mask.source}</p>
        </div>
        <div>
          <h3>In this scan</h3>
          <div class="findings-list">
            {meta.findings.map((f) => (
              <button
                type="button"
                onClick={() => jump(f.voxel[0])}
              >
                <span
                  style={{
                    color: f.kind === "excluded"
                      ? COLORS.excluded
                      : f.detected
                      ? COLORS.detected
                      : COLORS.missed,
                  }}
                >
                  ●
                </span>{" "}
                {f.kind === "excluded"
                  ? "excluded"
                  : f.detected
                  ? "nodule, found"
                  : "nodule, missed"} · {formatMm(f.diameterMm)} · slice{" "}
                {Math.round(f.voxel[0]) + 1}
              </button>
            ))}
            {meta.detections.filter((d) => d.status !== "capped").slice(0, 15)
              .map((d) => (
                <button
                  type="button"
                  onClick={() => jump(d.voxel[0])}
                >
                  <span
                    style={{
                      color: d.status === "tp"
                        ? COLORS.tp
                        : d.status === "fp"
                        ? COLORS.fp
                        : COLORS.excluded,
                    }}
                  >
                    ■
                  </span>{" "}
                  {d.status === "tp"
                    ? "hit"
                    : d.status === "fp"
                    ? "false positive"
                    : "on excluded"} · score {formatValue(d.score)} · slice{" "}
                  {Math.round(d.voxel[0]) + 1}
                </button>
              ))}
          </div>
        </div>
        {error ? <div class="error-box">{error}</div> : null}
      </div>
    </div>
  );
}
