/**
 * The page frame: head, top bar with navigation, main column. Every page
 * renders inside it; the boot script hydrates the islands it contains.
 *
 * @module
 */

import type { ComponentChildren } from "preact";

/** Props of {@linkcode Page}. */
export interface PageFrameProps {
  /** Shown in the tab and as the page heading's context. */
  readonly title: string;
  /** Which navigation entry is current. */
  readonly section?: "runs" | "new" | "compare" | "ablations";
  /** The page body. */
  readonly children: ComponentChildren;
}

const NAV: readonly { href: string; label: string; section: string }[] = [
  { href: "/", label: "Runs", section: "runs" },
  { href: "/compare", label: "Compare", section: "compare" },
  { href: "/ablations", label: "Ablations", section: "ablations" },
  { href: "/new", label: "New run", section: "new" },
];

/** The HTML document of a page. */
export function Page({ title, section, children }: PageFrameProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} · Pleura`}</title>
        {/* An empty icon: no request for /favicon.ico (and no 404). */}
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href="/static/styles.css" />
        <script type="module" src="/static/js/boot.js"></script>
      </head>
      <body>
        <header class="topbar">
          <a class="brand" href="/">
            <span class="brand-mark" aria-hidden="true">◐</span> Pleura
          </a>
          <nav>
            {NAV.map((item) => (
              <a
                href={item.href}
                class={item.section === section ? "current" : undefined}
              >
                {item.label}
              </a>
            ))}
          </nav>
        </header>
        <main>{children}</main>
      </body>
    </html>
  );
}

/** A titled card section. */
export function Section(
  { title, id, children, actions }: {
    title: string;
    id?: string;
    children: ComponentChildren;
    actions?: ComponentChildren;
  },
) {
  return (
    <section class="card" id={id}>
      <div class="card-head">
        <h2>{title}</h2>
        {actions ? <div class="card-actions">{actions}</div> : null}
      </div>
      {children}
    </section>
  );
}

/** A short note shown where data is missing. */
export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}
