import assert from "node:assert/strict";
import { z } from "zod";
import { describeOptions } from "./options.ts";

Deno.test("describeOptions() lists each field with type, default, description and bounds", () => {
  const options = describeOptions(z.object({
    k: z.int().min(1).default(2).describe("Negatives per sample"),
    mode: z.enum(["a", "b"]).default("b").describe("Mode"),
    range: z.tuple([z.number(), z.number()]).default([0.68, 8.2]).describe(
      "Volume limits",
    ),
    rate: z.number().min(0).max(1).default(0.5).describe("Rate"),
    width: z.int().nullable().default(null).describe("Override"),
  }));
  assert.deepEqual(
    options.map((o) => [o.name, o.type, o.default, o.description]),
    [
      ["k", "integer", 2, "Negatives per sample"],
      ["mode", "string", "b", "Mode"],
      ["range", "array", [0.68, 8.2], "Volume limits"],
      ["rate", "number", 0.5, "Rate"],
      ["width", "integer | null", null, "Override"],
    ],
  );
  assert.equal(options[0].minimum, 1);
  assert.equal(options[0].maximum, undefined);
  assert.deepEqual(options[1].enum, ["a", "b"]);
  assert.equal(options[3].maximum, 1);
});
