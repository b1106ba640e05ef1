/**
 * Path helpers that keep the dashboard inside its folders: nothing outside
 * the run folder and the data folders is ever read for a request.
 *
 * @module
 */

import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { isAbsolute, relative, resolve, sep } from "node:path";

/** The path of a `file:` URL. */
export function fromFileUrl(url: URL | string): string {
  return fileURLToPath(url);
}

/** True when `path` is `root` or lies below it (both absolute, resolved). */
export function isWithin(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === "" ||
    (!rel.startsWith(".." + sep) && rel !== ".." && !isAbsolute(rel));
}

/**
 * Resolves `path` (following symbolic links) and returns it only when it lies
 * inside one of `roots`; undefined when it does not exist or escapes.
 *
 * @param path the path to check (relative paths resolve against `base`)
 * @param roots allowed folders
 * @param base folder relative paths start from (default: the working directory)
 */
export function containedPath(
  path: string,
  roots: readonly string[],
  base: string = Deno.cwd(),
): string | undefined {
  let real: string;
  try {
    real = realpathSync(resolve(base, path));
  } catch {
    return undefined;
  }
  for (const root of roots) {
    let realRoot: string;
    try {
      realRoot = realpathSync(root);
    } catch {
      continue;
    }
    if (isWithin(realRoot, real)) return real;
  }
  return undefined;
}

/** A safe single path segment: no separators, no `..`, no control characters. */
export function isSafeSegment(segment: string): boolean {
  return segment.length > 0 && segment.length <= 200 &&
    /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(segment) && !segment.includes("..");
}
