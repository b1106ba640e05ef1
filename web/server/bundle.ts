/**
 * Bundles the islands (`web/islands/*.tsx`) for the browser with esbuild at
 * startup, in memory: one boot script finds every `<pleura-island>` marker
 * the server rendered, loads that island's chunk and hydrates it with the
 * props serialised beside it. Preact is shared between chunks (code
 * splitting), so each page downloads only the islands it shows.
 *
 * @module
 */

import * as esbuild from "esbuild";
import { fromFileUrl } from "./paths.ts";

/** The bundled files, served under `/static/js/`. */
export interface IslandBundle {
  /** File name (`boot.js`, `chunk-ABC.js`, …) → content. */
  readonly files: ReadonlyMap<string, Uint8Array>;
  /** Island names (file stems), e.g. `RunTable`. */
  readonly islands: readonly string[];
}

/** The tag of the element wrapping a server-rendered island. */
export const ISLAND_TAG = "pleura-island";

const ISLAND_FILE = /^[A-Z][A-Za-z0-9]*\.tsx$/;

/** Island files in `dir`: PascalCase `.tsx`, not private, not tests. */
export async function islandNames(dir: URL): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && ISLAND_FILE.test(entry.name)) {
      names.push(entry.name.slice(0, -4));
    }
  }
  return names.sort();
}

/**
 * The boot script: for each marker, import the island's module and hydrate.
 *
 * @param modules island name → absolute path of its module
 */
export function bootSource(modules: ReadonlyMap<string, string>): string {
  const loaders = [...modules].map(([name, path]) =>
    `  ${JSON.stringify(name)}: () => import(${JSON.stringify(path)}),`
  ).join("\n");
  return `import { h, hydrate } from "preact";
const loaders = {
${loaders}
};
for (const element of document.querySelectorAll(${
    JSON.stringify(ISLAND_TAG)
  })) {
  const load = loaders[element.dataset.name];
  if (!load) {
    console.warn("Unknown island", element.dataset.name);
    continue;
  }
  const props = JSON.parse(element.dataset.props || "{}");
  load().then((module) => {
    hydrate(h(module.default, props), element);
    element.dataset.hydrated = "true";
  });
}
`;
}

const cached = new Map<string, Promise<IslandBundle>>();

/**
 * Bundles the islands of a folder once per process (they do not change
 * while serving).
 *
 * @param dir the islands folder (a `file:` URL)
 * @returns the files to serve and the island names
 */
export function bundleIslands(dir: URL): Promise<IslandBundle> {
  let bundle = cached.get(dir.href);
  if (!bundle) {
    bundle = build(dir).catch((error) => {
      cached.delete(dir.href);
      throw error;
    });
    cached.set(dir.href, bundle);
  }
  return bundle;
}

async function build(dir: URL): Promise<IslandBundle> {
  const islands = await islandNames(dir);
  const modules = new Map<string, string>();
  for (const name of islands) {
    const url = new URL(`${name}.tsx`, dir);
    const module = await import(url.href) as { default?: { name?: string } };
    if (typeof module.default !== "function" || module.default.name !== name) {
      throw new TypeError(
        `Cannot use island "${name}.tsx": its default export is ${
          typeof module.default === "function"
            ? `the function "${module.default.name}"`
            : "not a component"
        }, expected a component function named "${name}"`,
      );
    }
    modules.set(name, fromFileUrl(url));
  }
  try {
    const result = await esbuild.build({
      stdin: {
        contents: bootSource(modules),
        resolveDir: fromFileUrl(dir),
        sourcefile: "boot.js",
        loader: "js",
      },
      bundle: true,
      splitting: true,
      format: "esm",
      platform: "browser",
      target: ["es2022"],
      outdir: "/js",
      entryNames: "boot",
      chunkNames: "chunk-[hash]",
      jsx: "automatic",
      jsxImportSource: "preact",
      minify: true,
      write: false,
      logLevel: "silent",
    });
    const files = new Map<string, Uint8Array>();
    for (const file of result.outputFiles) {
      files.set(file.path.replace(/^.*\//, ""), file.contents);
    }
    return { files, islands };
  } finally {
    // The esbuild service is a child process: stop it so nothing lingers.
    await esbuild.stop();
  }
}
