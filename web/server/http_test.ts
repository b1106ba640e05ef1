import assert from "node:assert/strict";
import { z } from "zod";
import { readJsonBody, readQuery } from "./http.ts";

const schema = z.object({ n: z.number() }).strict();

function request(body: BodyInit, type = "application/json") {
  return new Request("http://x/", {
    method: "POST",
    body,
    headers: { "content-type": type },
  });
}

async function problemOf(result: Awaited<ReturnType<typeof readJsonBody>>) {
  assert.equal(result.ok, false);
  const response = (result as { response: Response }).response;
  return { status: response.status, body: await response.json() };
}

Deno.test("readJsonBody() parses and validates a JSON body", async () => {
  const ok = await readJsonBody(request('{"n": 3}'), schema);
  assert.deepEqual(ok, { ok: true, value: { n: 3 } });
  const wrong = await problemOf(
    await readJsonBody(request('{"n": "3", "m": 1}'), schema),
  );
  assert.equal(wrong.status, 400);
  assert.deepEqual(
    wrong.body.issues.map((i: { path: string }) => i.path).sort(),
    [
      "(body)",
      "n",
    ],
  );
});

Deno.test("readJsonBody() answers 400, 413 and 415 for malformed, oversized and non-JSON bodies", async () => {
  const malformed = await problemOf(await readJsonBody(request("{"), schema));
  assert.equal(malformed.status, 400);
  assert.match(malformed.body.issues[0].message, /^Malformed JSON: /);
  const notUtf8 = await problemOf(
    await readJsonBody(request(new Uint8Array([0x7b, 0xff, 0x7d])), schema),
  );
  assert.equal(notUtf8.status, 400);
  // A streamed body has no content-length: the limit applies while reading.
  const stream = new ReadableStream({
    start(controller) {
      for (let i = 0; i < 10; i++) controller.enqueue(new Uint8Array(100));
      controller.close();
    },
  });
  const big = await problemOf(await readJsonBody(request(stream), schema, 512));
  assert.equal(big.status, 413);
  assert.equal(
    big.body.error,
    "Cannot read request body: it is larger than 512 bytes, expected at most 512",
  );
  const text = await problemOf(
    await readJsonBody(request("{}", "text/plain"), schema),
  );
  assert.equal(text.status, 415);
});

Deno.test("readQuery() validates the first value of each parameter", async () => {
  const q = z.object({ a: z.enum(["x", "y"]).optional() }).strict();
  assert.deepEqual(readQuery(new URL("http://h/?a=x&a=z"), q), {
    ok: true,
    value: { a: "x" },
  });
  const bad = readQuery(new URL("http://h/?b=1"), q);
  assert.equal(bad.ok, false);
  assert.equal((bad as { response: Response }).response.status, 400);
  await (bad as { response: Response }).response.body?.cancel();
});
