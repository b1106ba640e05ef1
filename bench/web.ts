// deno-lint-ignore-file no-console -- the bench prints its report
/**
 * Dashboard speed: server time (the `server-timing` header: routing, store
 * reads and rendering) of the pages over a store of 200 seeded runs.
 * Target: the runs page renders in under 300 ms.
 *
 * @module
 */

import { join } from "node:path";
import { openRunStore } from "../core/mod.ts";
import { startDashboard } from "../web/main.ts";
import { testRegistry } from "../web/testing/registry.ts";
import { seedStore } from "../web/testing/seed.ts";
import type { BenchSection } from "./main.ts";

const RUNS = 200;
const REPEATS = 15;

function serverMs(response: Response): number {
  const match = /app;dur=([\d.]+)/.exec(
    response.headers.get("server-timing") ?? "",
  );
  if (!match) throw new Error("Cannot read the server-timing header");
  return Number(match[1]);
}

async function time(
  url: string,
): Promise<{ median: number; max: number; bytes: number }> {
  const samples: number[] = [];
  let bytes = 0;
  for (let i = 0; i < REPEATS; i++) {
    const response = await fetch(url);
    bytes = (await response.arrayBuffer()).byteLength;
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    samples.push(serverMs(response));
  }
  samples.sort((a, b) => a - b);
  return {
    median: samples[Math.floor(samples.length / 2)],
    max: samples[samples.length - 1],
    bytes,
  };
}

/** Seeds 200 runs, serves them and times the pages. */
export const run: BenchSection = async () => {
  const root = await Deno.makeTempDir({ prefix: "pleura_bench_web_" });
  try {
    const store = openRunStore(join(root, "runs"));
    const seeding = performance.now();
    const named = 9;
    const seeded = seedStore(store, {
      dataset: join(root, "data"),
      extraRuns: RUNS - named,
      resamples: 100,
      steps: 120,
    });
    store.close();
    console.log(
      `seeded ${seeded.runIds.length} runs in ${
        (performance.now() - seeding).toFixed(0)
      } ms`,
    );
    const dashboard = await startDashboard({
      port: 0,
      runsDir: join(root, "runs"),
      dataDirs: [join(root, "data")],
      configsDir: join(root, "configs"),
      registry: testRegistry(),
      compareResamples: 1000,
    });
    try {
      const ref = seeded.byName["reference"], focal = seeded.byName["focal"];
      const pages: [string, string, string][] = [
        ["runs page (200 runs)", "", "web_runs_page_ms"],
        ["/api/runs (200 runs)", "api/runs", "web_api_runs_ms"],
        ["run page", `runs/${ref}`, "web_run_page_ms"],
        [
          "compare page (2 runs, 1000 paired resamples)",
          `compare?runs=${ref},${focal}`,
          "web_compare_page_ms",
        ],
        [
          "ablation page",
          `ablations/${seeded.ablationId}`,
          "web_ablation_page_ms",
        ],
        ["new-run form", "new", "web_new_page_ms"],
      ];
      const out: Record<string, number> = {};
      for (const [label, path, key] of pages) {
        const t = await time(dashboard.url + path);
        console.log(
          `${label.padEnd(48)} median ${
            t.median.toFixed(1).padStart(7)
          } ms  max ${t.max.toFixed(1).padStart(7)} ms  ${
            (t.bytes / 1024).toFixed(0)
          } KiB`,
        );
        out[key] = Number(t.median.toFixed(2));
      }
      const target = out["web_runs_page_ms"];
      console.log(
        `runs page: ${target.toFixed(1)} ms server time, target < 300 ms: ${
          target < 300 ? "met" : "MISSED"
        }`,
      );
      return out;
    } finally {
      await dashboard.close();
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
};
