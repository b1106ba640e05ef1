import assert from "node:assert/strict";
import { eventStream, formatEvent } from "./sse.ts";

Deno.test("formatEvent() writes id, event and data lines", () => {
  assert.equal(
    formatEvent("log", { message: "a" }, 7),
    'id: 7\nevent: log\ndata: {"message":"a"}\n\n',
  );
  assert.equal(formatEvent("end", null), "event: end\ndata: null\n\n");
});

Deno.test("eventStream() polls until tick says stop, and ends when aborted", async () => {
  let n = 0;
  const done = eventStream({
    signals: [],
    pollMs: 1,
    tick: (send) => {
      send("n", ++n, n);
      return n < 3;
    },
  });
  const text = await done.text();
  assert.equal(
    text,
    ": stream open\n\n" + [1, 2, 3].map((i) => formatEvent("n", i, i)).join(""),
  );
  const controller = new AbortController();
  const endless = eventStream({
    signals: [controller.signal],
    pollMs: 5,
    tick: () => true,
  });
  setTimeout(() => controller.abort(), 30);
  assert.equal(await endless.text(), ": stream open\n\n");
});
