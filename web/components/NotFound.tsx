/**
 * The page shown for an unknown address, run or scan.
 *
 * @module
 */

import { Page } from "./Page.tsx";

/** The 404 page. */
export function NotFound({ message }: { message: string }) {
  return (
    <Page title="Not found">
      <div class="page-head">
        <h1>Not found</h1>
      </div>
      <section class="card">
        <p class="empty" id="not-found">{message}</p>
        <p>
          <a href="/">Back to the runs</a>
        </p>
      </section>
    </Page>
  );
}
