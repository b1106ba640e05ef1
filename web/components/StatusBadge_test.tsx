import assert from "node:assert/strict";
import { renderToString } from "preact-render-to-string";
import { STALL_MS, StatusBadge } from "./StatusBadge.tsx";

const at = Date.UTC(2026, 10, 26, 20, 0);

Deno.test("StatusBadge shows a running run's progress while it moves", () => {
  const html = renderToString(
    <StatusBadge
      status="running"
      progress={{ task: "stage 0", done: 470, total: 1880, at }}
      now={at + 60_000}
    />,
  );
  assert.match(html, /class="badge badge-running"/);
  assert.match(html, / 25%/);
  assert.match(html, /title="stage 0: 470\/1880"/);
});

Deno.test("StatusBadge marks a running run stalled after STALL_MS without progress, saying how to resume", () => {
  const progress = { task: "stage 0", done: 70, total: 1880, at };
  const justBefore = renderToString(
    <StatusBadge status="running" progress={progress} now={at + STALL_MS} />,
  );
  assert.match(justBefore, /badge-running/);
  const after = renderToString(
    <StatusBadge
      status="running"
      progress={progress}
      now={at + STALL_MS + 1}
    />,
  );
  assert.match(after, /class="badge badge-stalled"/);
  assert.match(after, />stalled</);
  assert.match(after, /No progress since 2026-11-26 20:00 UTC \(stage 0\)/);
  assert.match(after, /run the same command again to resume/);
  // Finished runs and progress without a time are never stalled.
  for (
    const html of [
      renderToString(
        <StatusBadge status="done" progress={progress} now={at + 1e9} />,
      ),
      renderToString(
        <StatusBadge
          status="running"
          progress={{ task: "x", done: 1, total: 2 }}
          now={at + 1e9}
        />,
      ),
    ]
  ) assert.doesNotMatch(html, /stalled/);
});
