import assert from "node:assert/strict";
import { REPO_ROOT } from "../core/testing/shared_data.ts";

async function pleura(...args: string[]) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", ...args],
    cwd: REPO_ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  return {
    code: output.code,
    stdout: new TextDecoder().decode(output.stdout),
    stderr: new TextDecoder().decode(output.stderr),
  };
}

Deno.test("pleura plugins --json lists every plugin with described options", async () => {
  const { code, stdout } = await pleura("plugins", "--json");
  assert.equal(code, 0);
  const list = JSON.parse(stdout) as {
    kind: string;
    id: string;
    description: string;
    options: {
      name: string;
      type: string;
      default: unknown;
      description: string;
    }[];
  }[];
  const kinds = new Set(list.map((p) => p.kind));
  for (
    const kind of ["segmenter", "backbone", "anchor_head", "miner", "loss"]
  ) {
    assert.ok(kinds.has(kind), `a ${kind} plugin is registered`);
  }
  for (const plugin of list) {
    assert.ok(plugin.description.length > 0, plugin.id);
    for (const option of plugin.options) {
      assert.ok(option.description.length > 0, `${plugin.id}.${option.name}`);
      assert.notEqual(option.default, undefined, `${plugin.id}.${option.name}`);
      assert.ok(option.type.length > 0);
    }
  }
  const topk = list.find((p) => p.id === "topk")!;
  assert.equal(topk.options.find((o) => o.name === "k")!.default, 2);
});

Deno.test("pleura exits with code 2 and one line on usage errors", async () => {
  for (const args of [["no-such-command"], ["plugins", "--bogus"]]) {
    const { code, stderr } = await pleura(...args);
    assert.equal(code, 2, args.join(" "));
    assert.equal(stderr.trim().split("\n").length, 1, stderr);
    assert.match(stderr, /^pleura: /);
  }
});

Deno.test("pleura --help describes the commands", async () => {
  const { code, stdout } = await pleura("--help");
  assert.equal(code, 0);
  assert.match(stdout, /plugins/);
  assert.match(stdout, /Usage: pleura/);
});
