import assert from "node:assert/strict";
import { openRunStore, type RunStore } from "../../core/mod.ts";
import { REPO_ROOT } from "../../core/testing/shared_data.ts";
import { createLauncher, failureMessage, stripAnsi } from "./launcher.ts";

async function withStore(body: (store: RunStore) => Promise<void>) {
  const root = await Deno.makeTempDir({ prefix: "pleura_launcher_" });
  const store = openRunStore(root);
  try {
    await body(store);
  } finally {
    store.close();
    await Deno.remove(root, { recursive: true });
  }
}

function newRun(store: RunStore, name = "r") {
  return store.createRun({
    name,
    configJson: "{}",
    configHash: "0",
    schemaVersion: 1,
    slots: {},
  }).id;
}

/** A worker that runs a snippet of TypeScript (`deno eval <code>`). */
const EVAL = [Deno.execPath(), "eval", "--quiet"];

Deno.test("failureMessage() keeps the last stderr lines without colours", () => {
  assert.equal(stripAnsi("\x1b[31merror\x1b[0m: x"), "error: x");
  assert.equal(
    failureMessage("line 1\n\n\x1b[1mpleura: bad config\x1b[0m\n", 1, null),
    "line 1\npleura: bad config",
  );
  assert.equal(
    failureMessage("", 3, null),
    "The worker process exited with code 3",
  );
  assert.equal(
    failureMessage("  \n", 143, "SIGTERM"),
    "The worker process was stopped by SIGTERM",
  );
});

Deno.test("a launched `pleura plugins --json` worker runs and its run ends done", () =>
  withStore(async (store) => {
    const id = newRun(store);
    const launcher = createLauncher({ store, cwd: REPO_ROOT });
    launcher.launch({ runId: id, args: ["plugins", "--json"] });
    assert.deepEqual(launcher.active(), [id]);
    await launcher.settled(id);
    const run = store.getRun(id)!;
    assert.equal(run.status, "done");
    assert.ok(run.startedAt! <= run.endedAt!);
    assert.deepEqual(
      store.events(id).map((e) => e.data.message),
      [
        "Queued",
        "Started worker: pleura plugins --json",
        "Worker exited cleanly",
      ],
    );
    assert.deepEqual(launcher.active(), []);
  }));

Deno.test("a worker that fails marks its run failed with its last error lines", () =>
  withStore(async (store) => {
    const id = newRun(store);
    const launcher = createLauncher({ store, cwd: REPO_ROOT });
    launcher.launch({ runId: id, args: ["no-such-command"] });
    await launcher.settled(id);
    const run = store.getRun(id)!;
    assert.equal(run.status, "failed");
    assert.match(run.error!, /^pleura: unknown command 'no-such-command'/);
    assert.equal(store.events(id).at(-1)!.data.level, "error");

    const other = newRun(store);
    const evalLauncher = createLauncher({
      store,
      cwd: REPO_ROOT,
      command: EVAL,
    });
    evalLauncher.launch({
      runId: other,
      args: [
        "console.error('loading'); console.error('Out of memory'); Deno.exit(3)",
      ],
    });
    await evalLauncher.settled(other);
    assert.equal(store.getRun(other)!.error, "loading\nOut of memory");
  }));

Deno.test("a worker's own outcome is kept, and a missing program fails the run", () =>
  withStore(async (store) => {
    const id = newRun(store);
    const launcher = createLauncher({ store, cwd: REPO_ROOT, command: EVAL });
    const code = `
      import { openRunStore } from ${
      JSON.stringify(new URL("../../core/mod.ts", import.meta.url).href)
    };
      const s = openRunStore(${JSON.stringify(store.root)});
      s.updateRun(${
      JSON.stringify(id)
    }, { status: "failed", error: "Diverged at step 7" });
      s.close();
    `;
    launcher.launch({ runId: id, args: [code] });
    await launcher.settled(id);
    assert.equal(store.getRun(id)!.status, "failed");
    assert.equal(store.getRun(id)!.error, "Diverged at step 7");

    const missing = newRun(store);
    const broken = createLauncher({
      store,
      cwd: REPO_ROOT,
      command: ["/nonexistent/pleura-worker"],
    });
    broken.launch({ runId: missing, args: [] });
    await broken.settled(missing);
    assert.equal(store.getRun(missing)!.status, "failed");
    assert.match(
      store.getRun(missing)!.error!,
      /^Cannot start the worker process: /,
    );
  }));

Deno.test("runs wait in the queue for a free slot, and stopAll() ends them all", () =>
  withStore(async (store) => {
    const launcher = createLauncher({
      store,
      cwd: REPO_ROOT,
      command: EVAL,
      maxConcurrent: 1,
    });
    const first = newRun(store, "first"), second = newRun(store, "second");
    launcher.launch({
      runId: first,
      args: ["await new Promise((r) => setTimeout(r, 300))"],
    });
    launcher.launch({ runId: second, args: ["Deno.exit(0)"] });
    assert.equal(store.getRun(first)!.status, "running");
    assert.equal(store.getRun(second)!.status, "queued");
    await launcher.settled(first);
    await launcher.settled(second);
    assert.equal(store.getRun(second)!.status, "done");
    assert.ok(
      store.getRun(second)!.startedAt! >= store.getRun(first)!.endedAt!,
    );

    const long = newRun(store, "long"), waiting = newRun(store, "waiting");
    launcher.launch({
      runId: long,
      args: ["await new Promise((r) => setTimeout(r, 60000))"],
    });
    launcher.launch({ runId: waiting, args: ["Deno.exit(0)"] });
    const started = performance.now();
    await launcher.stopAll();
    assert.ok(performance.now() - started < 10000);
    assert.equal(store.getRun(long)!.status, "failed");
    assert.equal(
      store.getRun(long)!.error,
      "Stopped: the dashboard was closed while the run was going",
    );
    assert.equal(
      store.getRun(waiting)!.error,
      "Cancelled: the dashboard stopped before the run started",
    );
    const late = newRun(store, "late");
    launcher.launch({ runId: late, args: [] });
    assert.equal(
      store.getRun(late)!.error,
      "Cannot start the run: the dashboard is stopping",
    );
  }));
