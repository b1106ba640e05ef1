/**
 * Locates the project's shared test data (`../shared` beside the checkout,
 * present on developer machines and in CI, absent on a user's machine). Tests
 * that need it skip with a one-line reason when it is missing.
 *
 * @module
 */

import { existsSync } from "node:fs";
import { join } from "node:path/posix";

/** Absolute path of the repository root. */
export const REPO_ROOT: string = fromFileUrlSafe(
  new URL("../../", import.meta.url),
);

function fromFileUrlSafe(url: URL): string {
  return decodeURIComponent(url.pathname).replace(/\/$/, "");
}

/**
 * The shared folder (`PLEURA_SHARED`, else `<repo>/../shared`), or null when
 * it does not exist.
 */
export function sharedDir(): string | null {
  const fromEnv = Deno.env.get("PLEURA_SHARED");
  const candidates = fromEnv ? [fromEnv] : [join(REPO_ROOT, "..", "shared")];
  for (const dir of candidates) {
    if (existsSync(join(dir, "data"))) return dir;
  }
  return null;
}

/** Path of a file under `shared/data/`, or null when shared data is absent. */
export function sharedDataPath(...parts: string[]): string | null {
  const dir = sharedDir();
  return dir ? join(dir, "data", ...parts) : null;
}

/** The one-line reason printed by tests that skip for lack of shared data. */
export const SHARED_MISSING_REASON =
  "skipped: ../shared/data is absent (it exists in CI and on developer machines)";

/**
 * Options for `Deno.test` that skip the test, with its reason in the name,
 * when shared data is absent.
 *
 * @example
 * ```ts
 * import { withSharedData } from "./shared_data.ts";
 * Deno.test(withSharedData("readVolume() loads every real CT file", () => {}));
 * ```
 */
export function withSharedData(
  name: string,
  fn: (t: Deno.TestContext) => void | Promise<void>,
): Deno.TestDefinition {
  const present = sharedDir() !== null;
  return {
    name: present ? name : `${name} (${SHARED_MISSING_REASON})`,
    ignore: !present,
    fn,
  };
}
