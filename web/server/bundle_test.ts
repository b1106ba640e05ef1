import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { bootSource, bundleIslands, islandNames } from "./bundle.ts";

const ISLANDS = new URL("../islands/", import.meta.url);

Deno.test("bundleIslands() builds a boot script that loads every island", async () => {
  const bundle = await bundleIslands(ISLANDS);
  assert.deepEqual(bundle.islands, await islandNames(ISLANDS));
  assert.ok(bundle.islands.includes("CtViewer"));
  const boot = new TextDecoder().decode(bundle.files.get("boot.js"));
  for (const name of bundle.islands) assert.ok(boot.includes(name), name);
  assert.match(boot, /pleura-island/);
  // Preact is shared: every chunk the boot script imports was emitted.
  const chunks = [...boot.matchAll(/["']\.\/(chunk-[A-Z0-9]+\.js)["']/g)];
  assert.ok(chunks.length >= bundle.islands.length);
  for (const [, chunk] of chunks) assert.ok(bundle.files.has(chunk), chunk);
  assert.equal(await bundleIslands(ISLANDS), bundle);
});

Deno.test("bootSource() maps island names to their modules", () => {
  const source = bootSource(new Map([["A", "/x/A.tsx"]]));
  assert.match(source, /"A": \(\) => import\("\/x\/A\.tsx"\)/);
});

Deno.test("an island whose default export is misnamed is refused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      join(dir, "Gauge.tsx"),
      "export default function Meter() { return null; }\n",
    );
    await Deno.writeTextFile(
      join(dir, "_private.tsx"),
      "export const x = 1;\n",
    );
    await assert.rejects(
      () => bundleIslands(pathToFileURL(dir + "/")),
      {
        name: "TypeError",
        message:
          'Cannot use island "Gauge.tsx": its default export is the function "Meter", expected a component function named "Gauge"',
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
