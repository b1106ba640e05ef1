import assert from "node:assert/strict";
import { createRecorder } from "../logger.ts";
import { createRegistry } from "../registry.ts";
import { REPO_ROOT } from "../testing/shared_data.ts";
import { type CliContext, UsageError } from "./context.ts";
import { serve, serveOptions } from "./serve.ts";

const FLAGS = {
  host: "127.0.0.1",
  port: "0",
  runs: "runs",
  data: ["data"],
  configs: "configs",
};

function context(
  startDashboard?: CliContext["startDashboard"],
): { context: CliContext; lines: string[] } {
  const lines: string[] = [];
  const { logger, progress } = createRecorder();
  return {
    context: {
      registry: createRegistry([]),
      logger,
      progress,
      print: (line) => lines.push(line),
      startDashboard,
    },
    lines,
  };
}

Deno.test("serveOptions() checks the port and host", () => {
  assert.deepEqual(serveOptions({ ...FLAGS, port: "8080" }), {
    host: "127.0.0.1",
    port: 8080,
    runsDir: "runs",
    dataDirs: ["data"],
    configsDir: "configs",
  });
  for (const port of ["abc", "-1", "65536", "80.5", ""]) {
    assert.throws(() => serveOptions({ ...FLAGS, port }), {
      name: "UsageError",
      message:
        `serve: option --port is "${port}", expected an integer in [0, 65535] (0 picks a free port)`,
    });
  }
  assert.throws(
    () => serveOptions({ ...FLAGS, host: "a b" }),
    /serve: option --host is "a b", expected a host name or IP address/,
  );
  assert.throws(
    () => serveOptions({ ...FLAGS, runs: " " }),
    /option --runs is empty/,
  );
});

Deno.test("serve() prints the address once listening and closes on the signal", async () => {
  const events: string[] = [];
  const { context: ctx, lines } = context((options) => {
    events.push(`start ${options.host}:${options.port}`);
    return Promise.resolve({
      url: `http://${options.host}:4321/`,
      close: () => {
        events.push("close");
        return Promise.resolve();
      },
    });
  });
  const stop = Promise.withResolvers<void>();
  const serving = serve(ctx, serveOptions(FLAGS), stop.promise);
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(lines, ["listening on http://127.0.0.1:4321/"]);
  assert.deepEqual(events, ["start 127.0.0.1:0"]);
  stop.resolve();
  await serving;
  assert.deepEqual(events, ["start 127.0.0.1:0", "close"]);
});

Deno.test("serve() reports a missing web layer and a port in use as usage errors", async () => {
  await assert.rejects(
    () => serve(context().context, serveOptions(FLAGS), Promise.resolve()),
    (e: Error) =>
      e instanceof UsageError && /dashboard is not available/.test(e.message),
  );
  const busy = context(() =>
    Promise.reject(new Deno.errors.AddrInUse("in use"))
  );
  await assert.rejects(
    () =>
      serve(
        busy.context,
        serveOptions({ ...FLAGS, port: "8000" }),
        Promise.resolve(),
      ),
    {
      name: "UsageError",
      message:
        "serve: cannot listen on 127.0.0.1:8000: the port is in use, expected a free port (or --port 0)",
    },
  );
});

Deno.test("`pleura serve --port 0` prints its address, answers, and stops on SIGTERM", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pleura_serve_" });
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "main.ts",
      "serve",
      "--port",
      "0",
      "--runs",
      `${dir}/runs`,
      "--configs",
      `${dir}/configs`,
    ],
    cwd: REPO_ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    let text = "";
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    const match = /^listening on (http:\/\/127\.0\.0\.1:(\d+)\/)\n/.exec(text);
    assert.ok(match, `first line: ${JSON.stringify(text)}`);
    assert.ok(Number(match[2]) > 0);
    const response = await fetch(`${match[1]}api/runs`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { runs: [] });
    child.kill("SIGTERM");
    const status = await child.status;
    assert.equal(status.code, 0);
    await reader.cancel();
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    await child.stderr.cancel();
    await Deno.remove(dir, { recursive: true });
  }
});
