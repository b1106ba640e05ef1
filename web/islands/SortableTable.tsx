/**
 * A table whose columns sort on click (ascending, then descending). Cells
 * carry their display text and a sort key; NaN and missing keys sort last.
 *
 * @module
 */

import { useState } from "preact/hooks";

/** One cell. */
export interface SortableCell {
  /** Text shown. */
  readonly text: string;
  /** Sort key (defaults to the text). */
  readonly sort?: number | string | null;
  /** Makes the text a link. */
  readonly href?: string;
  /** Extra CSS class. */
  readonly cls?: string;
  /** A second, smaller line. */
  readonly sub?: string;
}

/** Props of the table. */
export interface SortableTableProps {
  /** Element id (for tests and links). */
  readonly id: string;
  /** Column headers. */
  readonly columns: readonly {
    label: string;
    numeric?: boolean;
    title?: string;
  }[];
  /** Rows of cells, one per column. */
  readonly rows: readonly { cells: readonly SortableCell[]; cls?: string }[];
  /** Column sorted first, and its direction. */
  readonly initialSort?: { column: number; descending: boolean };
}

function key(cell: SortableCell): number | string | null {
  const k = cell.sort === undefined ? cell.text : cell.sort;
  return typeof k === "number" && Number.isNaN(k) ? null : k;
}

/** The island. */
export default function SortableTable(props: SortableTableProps) {
  const [sort, setSort] = useState(props.initialSort ?? null);
  const rows = sort === null ? props.rows : [...props.rows].sort((a, b) => {
    const ka = key(a.cells[sort.column]), kb = key(b.cells[sort.column]);
    if (ka === null || kb === null) {
      return ka === kb ? 0 : ka === null ? 1 : -1;
    }
    const order = typeof ka === "number" && typeof kb === "number"
      ? ka - kb
      : String(ka).localeCompare(String(kb));
    return sort.descending ? -order : order;
  });
  const click = (column: number) =>
    setSort((s) =>
      s && s.column === column
        ? { column, descending: !s.descending }
        : { column, descending: false }
    );
  return (
    <div class="table-scroll">
      <table class="data sortable" id={props.id}>
        <thead>
          <tr>
            {props.columns.map((c, i) => (
              <th
                class={`sortable${c.numeric ? " num" : ""}`}
                title={c.title ?? "Sort"}
                onClick={() => click(i)}
                aria-sort={sort?.column === i
                  ? (sort.descending ? "descending" : "ascending")
                  : "none"}
              >
                {c.label}
                {sort?.column === i
                  ? <span class="arrow">{sort.descending ? "▼" : "▲"}</span>
                  : null}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr class={row.cls}>
              {row.cells.map((cell, i) => (
                <td
                  class={[props.columns[i].numeric ? "num" : "", cell.cls ?? ""]
                    .join(" ").trim() || undefined}
                >
                  {cell.href ? <a href={cell.href}>{cell.text}</a> : cell.text}
                  {cell.sub ? <div class="sub">{cell.sub}</div> : null}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
