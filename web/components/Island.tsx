/**
 * Server side of an island: renders the component to HTML inside a
 * `<pleura-island>` marker carrying its name and props (JSON), which the boot
 * script (web/server/bundle.ts) finds and hydrates in the browser.
 *
 * @module
 */

import { type ComponentType, h } from "preact";

/** Props of {@linkcode Island}. */
export interface IslandProps<P> {
  /** The island's default export (its function name is the island's name). */
  readonly component: ComponentType<P>;
  /** Its props: plain JSON data (NaN becomes null). */
  readonly props: P;
}

/** Renders an island for hydration. */
export function Island<P>({ component, props }: IslandProps<P>) {
  return h(
    "pleura-island",
    {
      "data-name": component.name,
      "data-props": JSON.stringify(props),
    },
    // deno-lint-ignore no-explicit-any
    h(component as ComponentType<any>, props as any),
  );
}
