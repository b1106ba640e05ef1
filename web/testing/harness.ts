/**
 * Starts the dashboard in-process for tests: a temporary folder with a
 * seeded run store, a phantom LUNA16 dataset, a `configs/` folder holding one
 * valid experiment, and launched runs performed by `pleura plugins --json`
 * (a command that exists and exits quickly) instead of training.
 *
 * @module
 */

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify as toYaml } from "yaml";
import { openRunStore, PLUGIN_KINDS, type Registry } from "../../core/mod.ts";
import { type Dashboard, startDashboard } from "../main.ts";
import type { LaunchArgs } from "../server/state.ts";
import { testRegistry } from "./registry.ts";
import { type SeededStore, seedStore, writePhantomDataset } from "./seed.ts";

/** A dashboard on seeded data. */
export interface TestDashboard {
  /** The running dashboard. */
  readonly dashboard: Dashboard;
  /** Its base URL (ends with `/`). */
  readonly url: string;
  /** What was seeded. */
  readonly seeded: SeededStore;
  /** The temporary folder holding runs/, data/ and configs/. */
  readonly root: string;
  /** The dataset folder named in the seeded configs. */
  readonly dataset: string;
  /** The registry in use. */
  readonly registry: Registry;
  /** Closes the dashboard and removes the folder. */
  close(): Promise<void>;
}

/** Options of {@linkcode startTestDashboard}. */
export interface TestDashboardOptions {
  /** Filler runs beyond the named ones (default 0). */
  readonly extraRuns?: number;
  /** CLI arguments of launched runs (default `plugins --json`). */
  readonly launchArgs?: LaunchArgs;
  /** Paired-bootstrap resamples (default 200, for speed). */
  readonly compareResamples?: number;
}

/** The experiment written to `configs/base/test.yaml`: every slot's first plugin, defaults. */
export function testExperimentYaml(
  registry: Registry,
  dataset: string,
): string {
  const model: Record<string, unknown> = {};
  for (const kind of PLUGIN_KINDS) {
    model[kind] = { plugin: registry.ids(kind)[0], options: {} };
  }
  return toYaml({
    name: "test",
    data: { dataset },
    model,
    train: { max_steps: 2 },
  });
}

/** Starts a seeded dashboard on 127.0.0.1, port 0. */
export async function startTestDashboard(
  options: TestDashboardOptions = {},
): Promise<TestDashboard> {
  const root = await Deno.makeTempDir({ prefix: "pleura_web_" });
  const dataset = join(root, "data", "phantom");
  const runsDir = join(root, "runs");
  const configsDir = join(root, "configs");
  const registry = testRegistry();
  const store = openRunStore(runsDir);
  const seeded = seedStore(store, {
    dataset,
    extraRuns: options.extraRuns ?? 0,
    resamples: 100,
    steps: 60,
  });
  store.close();
  await writePhantomDataset(dataset, seeded.truth, 1);
  mkdirSync(join(configsDir, "base"), { recursive: true });
  writeFileSync(
    join(configsDir, "base", "test.yaml"),
    testExperimentYaml(registry, dataset),
  );
  const dashboard = await startDashboard({
    host: "127.0.0.1",
    port: 0,
    runsDir,
    dataDirs: [join(root, "data")],
    configsDir,
    registry,
    pollMs: 50,
    compareResamples: options.compareResamples ?? 200,
    launchArgs: options.launchArgs ?? (() => ["plugins", "--json"]),
  });
  return {
    dashboard,
    url: dashboard.url,
    seeded,
    root,
    dataset,
    registry,
    async close() {
      await dashboard.close();
      await Deno.remove(root, { recursive: true });
    },
  };
}
