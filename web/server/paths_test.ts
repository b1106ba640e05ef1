import assert from "node:assert/strict";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { containedPath, isSafeSegment, isWithin } from "./paths.ts";

Deno.test("isWithin() accepts the root and what lies below it only", () => {
  assert.equal(isWithin("/data", "/data"), true);
  assert.equal(isWithin("/data", "/data/a/b.mhd"), true);
  assert.equal(isWithin("/data", "/data2/a"), false);
  assert.equal(isWithin("/data", "/"), false);
  assert.equal(isWithin("/data", "/data/../etc"), false);
  assert.equal(isWithin("/data", "/data/..foo"), true);
});

Deno.test("containedPath() follows symbolic links and refuses escapes", async () => {
  const root = await Deno.makeTempDir();
  try {
    mkdirSync(join(root, "data", "sub"), { recursive: true });
    writeFileSync(join(root, "data", "sub", "a.mhd"), "x");
    writeFileSync(join(root, "secret.txt"), "x");
    symlinkSync(join(root, "secret.txt"), join(root, "data", "link.txt"));
    const data = join(root, "data");
    assert.equal(
      containedPath("sub/a.mhd", [data], data),
      join(data, "sub", "a.mhd"),
    );
    assert.equal(containedPath("../secret.txt", [data], data), undefined);
    assert.equal(containedPath("link.txt", [data], data), undefined);
    assert.equal(containedPath(join(root, "secret.txt"), [data]), undefined);
    assert.equal(containedPath("missing.mhd", [data], data), undefined);
    assert.equal(
      containedPath(join(root, "secret.txt"), [data, root]),
      join(root, "secret.txt"),
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("isSafeSegment() allows scan IDs and rejects separators and dot-dot", () => {
  assert.equal(isSafeSegment("1.3.6.1.4.1.14519.5.2.1.6279.6001.100000"), true);
  for (
    const bad of ["", "..", "../x", "a/b", "a\\b", ".hidden", "a..b", "x\u0000"]
  ) {
    assert.equal(isSafeSegment(bad), false, JSON.stringify(bad));
  }
});
