// deno-lint-ignore-file no-console -- a developer script that prints its address
/**
 * Serves the dashboard on a seeded temporary run store, for trying the pages
 * by hand: `deno run -A web/testing/demo_server.ts [--port 8000]`.
 *
 * @module
 */

import { join } from "node:path";
import { openRunStore } from "../../core/mod.ts";
import { startDashboard } from "../main.ts";
import { seedStore, writePhantomDataset } from "./seed.ts";

if (import.meta.main) {
  const portIndex = Deno.args.indexOf("--port");
  const port = portIndex >= 0 ? Number(Deno.args[portIndex + 1]) : 8000;
  const root = await Deno.makeTempDir({ prefix: "pleura_demo_" });
  const dataset = join(root, "data", "phantom");
  const runsDir = join(root, "runs");
  const store = openRunStore(runsDir);
  const seeded = seedStore(store, { dataset, extraRuns: 12 });
  store.close();
  await writePhantomDataset(dataset, seeded.truth, 3);
  const dashboard = await startDashboard({
    port,
    runsDir,
    dataDirs: [join(root, "data")],
    configsDir: join(root, "configs"),
  });
  console.log(`listening on ${dashboard.url} (data in ${root})`);
  Deno.addSignalListener("SIGINT", async () => {
    await dashboard.close();
    await Deno.remove(root, { recursive: true });
    Deno.exit(0);
  });
}
