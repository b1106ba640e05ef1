// deno-lint-ignore-file no-console -- the bench prints its report
/**
 * `deno task bench [section…]`: speed measurements. Each section prints its
 * numbers and, where a target exists, the ratio against a baseline measured
 * in the same invocation. Sections are separate files under `bench/`.
 *
 * @module
 */

/** A bench section: prints its report and returns its key numbers. */
export type BenchSection = () => Promise<Record<string, number | string>>;

const SECTIONS: Record<string, () => Promise<BenchSection>> = {
  // name: () => import("./file.ts").then((m) => m.run),
  io: () => import("./io.ts").then((m) => m.run),
  froc: () => import("./froc.ts").then((m) => m.run),
  ops: () => import("./ops.ts").then((m) => m.run),
  anchor_head: () => import("./anchor_head.ts").then((m) => m.run),
  loss: () => import("./loss.ts").then((m) => m.run),
  engine: () => import("./engine.ts").then((m) => m.run),
  engine_memory: () => import("./engine_memory.ts").then((m) => m.run),
  update: () => import("./update.ts").then((m) => m.run),
  train_step: () => import("./train_step.ts").then((m) => m.run),
  train_depth: () => import("./train_depth.ts").then((m) => m.run),
  synth: () => import("./synth.ts").then((m) => m.run),
  web: () => import("./web.ts").then((m) => m.run),
  predict: () => import("./predict.ts").then((m) => m.run),
  segment: () => import("./segment.ts").then((m) => m.run),
};

if (import.meta.main) {
  const wanted = Deno.args.length > 0 ? Deno.args : Object.keys(SECTIONS);
  const unknown = wanted.filter((name) => !(name in SECTIONS));
  if (unknown.length > 0) {
    console.error(
      `bench: unknown section ${
        unknown.map((u) => `"${u}"`).join(", ")
      }, expected one of ${
        Object.keys(SECTIONS).map((s) => `"${s}"`).join(", ")
      }`,
    );
    Deno.exit(2);
  }
  // The last line is one flat JSON object of every section's key numbers.
  const summary: Record<string, number | string> = {};
  for (const name of wanted) {
    console.log(`\n== ${name} ==`);
    const section = await SECTIONS[name]();
    Object.assign(summary, await section());
  }
  console.log(JSON.stringify(summary));
}
