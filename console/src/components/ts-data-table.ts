import { LitElement, css, html, nothing } from 'lit';
import type { ElementPart, TemplateResult } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { localized, msg } from '@lit/localize';
import { Directive, PartType, directive } from 'lit/directive.js';
import type { PartInfo } from 'lit/directive.js';
import { repeat } from 'lit/directives/repeat.js';
import { sharedStyles } from '../common/styles.js';

/** One column of a `ts-data-table`. */
export interface DataTableColumn<R> {
  id: string;
  title: string;
  /** What a cell shows: text or a template. */
  render: (row: R) => TemplateResult | string | number | typeof nothing;
  /** Makes the column sortable by this value. */
  sortValue?: (row: R) => string | number;
  align?: 'start' | 'end';
  /** A CSS width, e.g. `120px` or `20%`. */
  width?: string;
}

export interface RowSelectDetail<R> {
  row: R;
  key: string;
}

type SortDirection = 'ascending' | 'descending';

/** Sets attributes on an element from a record, removing the ones set before and now absent. */
class AttributesDirective extends Directive {
  private _previous = new Set<string>();

  constructor(part: PartInfo) {
    super(part);
    if (part.type !== PartType.ELEMENT) throw new Error('attributes() must be used on an element');
  }

  render(_attributes: Record<string, string>) {
    return nothing;
  }

  override update(part: ElementPart, [attributes]: [Record<string, string>]) {
    const element = part.element;
    for (const name of this._previous) {
      if (!(name in attributes)) element.removeAttribute(name);
    }
    for (const [name, value] of Object.entries(attributes)) {
      if (element.getAttribute(name) !== value) element.setAttribute(name, value);
    }
    this._previous = new Set(Object.keys(attributes));
    return nothing;
  }
}

const attributes = directive(AttributesDirective);

/**
 * A dense table with optional sorting and row selection. Cell templates can use the classes
 * `cell-stack` with `cell-sub` (a two-line cell), `cell-wrap` (text that wraps instead of widening
 * the column), `cell-truncate`, `cell-bad`, `chip`, `mono`, `muted`. Rows can carry extra
 * attributes (for example `data-testid`) through `rowAttributes`.
 *
 * The element is its own scroll box: a table wider than the element scrolls sideways inside it,
 * with a shadow at an edge that has columns beyond it, and the header row stays put. A page whose
 * table is taller than the window sets `--ts-table-max-height` so that the horizontal scroll bar
 * stays on screen.
 *
 * @fires ts-row-select - A selectable row was chosen by click or keyboard.
 */
@localized()
@customElement('ts-data-table')
export class TsDataTable<R = unknown> extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
        min-width: 0;
        max-width: 100%;
        overflow: auto;
        overscroll-behavior-x: contain;
        max-height: var(--ts-table-max-height, none);
        /* Scroll shadows: the covers move with the content (local), the shadows stay at the edges
           (scroll), so an edge shows a shadow only while columns lie beyond it. */
        background:
          linear-gradient(to right, var(--ts-surface, #fff) 30%, transparent) left center / 24px 100%
            no-repeat local,
          linear-gradient(to left, var(--ts-surface, #fff) 30%, transparent) right center / 24px 100%
            no-repeat local,
          radial-gradient(farthest-side at 0 50%, rgba(18, 27, 37, 0.18), transparent) left center / 10px 100%
            no-repeat scroll,
          radial-gradient(farthest-side at 100% 50%, rgba(18, 27, 37, 0.18), transparent) right center / 10px
            100% no-repeat scroll;
      }
      table {
        width: 100%;
        border-collapse: separate;
        border-spacing: 0;
        table-layout: auto;
      }
      caption {
        position: absolute;
        width: 1px;
        height: 1px;
        overflow: hidden;
        clip: rect(0 0 0 0);
      }
      th,
      td {
        padding: 0 10px;
        height: 30px;
        text-align: start;
        white-space: nowrap;
        border-bottom: 1px solid var(--ts-border);
        vertical-align: middle;
      }
      th {
        position: sticky;
        top: 0;
        z-index: 1;
        height: 30px;
        background: var(--ts-surface-alt);
        color: var(--ts-text-muted);
        font-size: 12px;
        font-weight: 600;
      }
      th button {
        all: unset;
        display: inline-flex;
        align-items: center;
        gap: 4px;
        cursor: pointer;
        border-radius: 2px;
      }
      th button:focus-visible {
        box-shadow: var(--ts-focus-ring);
      }
      .arrow {
        font-size: 10px;
        opacity: 0.8;
      }
      .end {
        text-align: end;
        font-variant-numeric: tabular-nums;
      }
      tbody tr:hover td {
        background: var(--ts-surface-alt);
      }
      tr.selectable {
        cursor: pointer;
      }
      tr.selectable:focus-visible {
        outline: none;
      }
      tr.selectable:focus-visible td {
        box-shadow:
          inset 0 2px 0 var(--ts-accent),
          inset 0 -2px 0 var(--ts-accent);
      }
      tr[aria-selected='true'] td {
        background: var(--ts-accent-soft);
      }
      tr[aria-selected='true'] td:first-child {
        box-shadow: inset 3px 0 0 var(--ts-accent);
      }
      /* Cells are rendered in this shadow root, so the classes that cell templates use live here. */
      .cell-stack {
        display: inline-flex;
        flex-direction: column;
        line-height: 1.25;
      }
      .cell-sub {
        color: var(--ts-text-muted);
        font-size: 11px;
      }
      .cell-wrap {
        display: inline-block;
        min-width: 12em;
        max-width: var(--ts-cell-wrap-width, 24em);
        white-space: normal;
        overflow-wrap: break-word;
      }
      .cell-truncate {
        display: inline-block;
        max-width: 420px;
        overflow: hidden;
        text-overflow: ellipsis;
        vertical-align: bottom;
      }
      .cell-bad {
        color: var(--ts-bad);
        font-weight: 600;
      }
      a {
        color: var(--ts-accent);
        text-decoration: none;
      }
      a:hover {
        text-decoration: underline;
      }
      .empty {
        padding: 24px 10px;
        text-align: center;
        color: var(--ts-text-muted);
        white-space: normal;
      }
    `,
  ];

  @property({ attribute: false }) columns: DataTableColumn<R>[] = [];

  @property({ attribute: false }) rows: readonly R[] = [];

  /** A stable key per row, so that rows keep their DOM (and focus) across live updates. */
  @property({ attribute: false }) rowKey: (row: R) => string = (row) => String(this.rows.indexOf(row));

  @property({ attribute: false }) rowAttributes?: (row: R) => Record<string, string>;

  /** Rows can be chosen; the chosen one is `selectedKey`. */
  @property({ type: Boolean }) selectable = false;

  @property() selectedKey?: string;

  /** Accessible name of the table. */
  @property() caption = '';

  /** What an empty table says; "Nothing to show." when not set. */
  @property() emptyMessage = '';

  @state() private _sortColumn?: string;

  @state() private _sortDirection: SortDirection = 'ascending';

  override render() {
    const rows = this._sortedRows();
    return html`
      <table>
        ${
          this.caption
            ? html`<caption>
                ${this.caption}
              </caption>`
            : nothing
        }
        <thead>
          <tr>
            ${this.columns.map((column) => this._renderHeader(column))}
          </tr>
        </thead>
        <tbody>
          ${
            rows.length === 0
              ? html`<tr>
                  <td class="empty" colspan=${this.columns.length || 1}>
                    ${this.emptyMessage || msg('Nothing to show.', { id: 'table.empty' })}
                  </td>
                </tr>`
              : repeat(rows, this.rowKey, (row) => this._renderRow(row))
          }
        </tbody>
      </table>
    `;
  }

  private _renderHeader(column: DataTableColumn<R>) {
    const sorted = this._sortColumn === column.id;
    const style = column.width ? `width:${column.width}` : '';
    if (!column.sortValue) {
      return html`<th scope="col" class=${column.align ?? 'start'} style=${style}>${column.title}</th>`;
    }
    return html`<th
      scope="col"
      class=${column.align ?? 'start'}
      style=${style}
      aria-sort=${sorted ? this._sortDirection : 'none'}
    >
      <button type="button" @click=${() => this._toggleSort(column.id)}>
        ${column.title}
        <span class="arrow" aria-hidden="true"
          >${sorted ? (this._sortDirection === 'ascending' ? '▲' : '▼') : ''}</span
        >
      </button>
    </th>`;
  }

  private _renderRow(row: R) {
    const key = this.rowKey(row);
    const extra = this.rowAttributes ? this.rowAttributes(row) : {};
    const cells = this.columns.map(
      (column) => html`<td class=${column.align ?? 'start'}>${column.render(row)}</td>`,
    );
    if (!this.selectable)
      return html`<tr ${attributes(extra)}>
        ${cells}
      </tr>`;
    return html`<tr
      ${attributes(extra)}
      class="selectable"
      tabindex="0"
      aria-selected=${key === this.selectedKey ? 'true' : 'false'}
      @click=${() => this._select(row, key)}
      @keydown=${(event: KeyboardEvent) => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          this._select(row, key);
        }
      }}
    >
      ${cells}
    </tr>`;
  }

  private _sortedRows(): readonly R[] {
    const column = this.columns.find((c) => c.id === this._sortColumn);
    const value = column?.sortValue;
    if (!value) return this.rows;
    const factor = this._sortDirection === 'ascending' ? 1 : -1;
    return [...this.rows].sort((a, b) => {
      const va = value(a);
      const vb = value(b);
      const order =
        typeof va === 'number' && typeof vb === 'number'
          ? va - vb
          : String(va).localeCompare(String(vb), undefined, { numeric: true });
      return order * factor;
    });
  }

  private _toggleSort(id: string) {
    if (this._sortColumn === id) {
      this._sortDirection = this._sortDirection === 'ascending' ? 'descending' : 'ascending';
    } else {
      this._sortColumn = id;
      this._sortDirection = 'ascending';
    }
  }

  private _select(row: R, key: string) {
    this.dispatchEvent(
      new CustomEvent<RowSelectDetail<R>>('ts-row-select', {
        detail: { row, key },
        bubbles: true,
        composed: true,
      }),
    );
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-data-table': TsDataTable;
  }
  interface HTMLElementEventMap {
    'ts-row-select': CustomEvent<RowSelectDetail<unknown>>;
  }
}
