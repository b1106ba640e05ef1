/**
 * Tables of FROC results: sensitivities at the seven rates with intervals,
 * sensitivity by nodule size, and lists of findings that open the CT viewer.
 *
 * @module
 */

import type {
  FrocSummary,
  ListedFinding,
  SizeRow,
} from "../server/froc_data.ts";
import { formatInterval, formatMm, formatRate, formatValue } from "./format.ts";

const RATE_LABELS = ["1/8", "1/4", "1/2", "1", "2", "4", "8"];

/** Sensitivity at each FP rate, its interval, and the CPM. */
export function SensitivityTable({ froc }: { froc: FrocSummary }) {
  return (
    <table class="data sensitivities">
      <thead>
        <tr>
          <th>FP / scan</th>
          {RATE_LABELS.map((r) => <th key={r} class="num">{r}</th>)}
          <th class="num">CPM</th>
        </tr>
      </thead>
      <tbody>
        <tr>
          <td>Sensitivity</td>
          {froc.sensitivities.map((s, k) => (
            <td key={k} class="num">{formatRate(s)}</td>
          ))}
          <td class="num strong">{formatRate(froc.cpm)}</td>
        </tr>
        {froc.ci
          ? (
            <tr>
              <td class="muted">95 % CI</td>
              {froc.ci.sensitivities.map((ci) => (
                <td class="num muted small">{formatInterval(ci)}</td>
              ))}
              <td class="num muted small">{formatInterval(froc.ci.cpm)}</td>
            </tr>
          )
          : null}
      </tbody>
    </table>
  );
}

/** Sensitivity by nodule size band. */
export function SizeTable({ rows }: { rows: readonly SizeRow[] }) {
  return (
    <table class="data sizes">
      <thead>
        <tr>
          <th>Diameter</th>
          <th class="num">Nodules</th>
          <th class="num">Detected</th>
          <th class="num">Sensitivity</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr class={row.label === "all" ? "strong" : undefined}>
            <td>{row.label}</td>
            <td class="num">{row.nodules}</td>
            <td class="num">{row.detected}</td>
            <td class="num">{formatRate(row.sensitivity)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The viewer address of a finding (world position in the query). */
export function viewerHref(runId: string, finding: ListedFinding): string {
  const at = finding.worldMm.map((v) => v.toFixed(2)).join(",");
  return `/runs/${encodeURIComponent(runId)}/scans/${
    encodeURIComponent(finding.seriesuid)
  }?at=${at}`;
}

/** A list of missed nodules or false positives, each opening the viewer. */
export function FindingTable(
  { runId, findings, kind }: {
    runId: string;
    findings: readonly ListedFinding[];
    kind: "missed" | "fp";
  },
) {
  if (findings.length === 0) {
    return (
      <p class="empty">
        {kind === "missed"
          ? "Every nodule was detected."
          : "No false positives."}
      </p>
    );
  }
  return (
    <div class="table-scroll findings-table">
      <table class={`data ${kind}`}>
        <thead>
          <tr>
            <th>Scan</th>
            {kind === "fp" ? <th class="num">Score</th> : null}
            <th class="num">Diameter</th>
            <th class="num">x, y, z (mm)</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          {findings.map((f) => (
            <tr>
              <td class="mono small" title={f.seriesuid}>
                …{f.seriesuid.slice(-12)}
              </td>
              {kind === "fp"
                ? <td class="num">{formatValue(f.score)}</td>
                : null}
              <td class="num">{formatMm(f.diameterMm)}</td>
              <td class="num mono small">
                {[f.worldMm[2], f.worldMm[1], f.worldMm[0]].map((v) =>
                  v.toFixed(1)
                ).join(", ")}
              </td>
              <td class="num">
                <a class="open-viewer" href={viewerHref(runId, f)}>View</a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
