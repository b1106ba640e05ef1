import assert from "node:assert/strict";
import { ConfigError, DataError, PluginError, ShapeError } from "./errors.ts";

Deno.test("ConfigError lists every issue on its own line", () => {
  const error = new ConfigError([
    {
      path: "model.miner.options.k",
      pluginId: "topk",
      message: "Too small",
      expected: ">= 1",
      received: "0",
    },
    {
      path: "model.loss.plugin",
      message: 'Unknown loss plugin "balance"',
      suggestions: ["balanced"],
    },
  ], { file: "configs/x.yaml" });
  assert.equal(
    error.message,
    'Cannot resolve experiment "configs/x.yaml": 2 problems\n' +
      '  - model.miner.options.k (plugin "topk"): Too small, expected >= 1, received 0\n' +
      '  - model.loss.plugin: Unknown loss plugin "balance", did you mean "balanced"?',
  );
});

Deno.test("DataError names the file and field", () => {
  assert.equal(
    new DataError("a.mhd", "ElementType", '"MET_FOO"', "a MetaImage type")
      .message,
    'Cannot read "a.mhd": field "ElementType" is "MET_FOO", expected a MetaImage type',
  );
  assert.equal(
    new DataError("c.csv", 'row 3, column "coordX"', '"abc"', "a number")
      .message,
    'Cannot read "c.csv": row 3, column "coordX" is "abc", expected a number',
  );
});

Deno.test("ShapeError and PluginError describe what failed", () => {
  const shape = new ShapeError("backbone input", [null, 64, 64, 64, 1], [
    1,
    60,
    64,
    64,
    1,
  ]);
  assert.ok(shape instanceof TypeError);
  assert.equal(
    shape.message,
    "Cannot use backbone input: shape is [1, 60, 64, 64, 1], expected [*, 64, 64, 64, 1]",
  );
  assert.equal(
    new PluginError("topk", "bad k").message,
    'Plugin "topk" failed: bad k',
  );
});
