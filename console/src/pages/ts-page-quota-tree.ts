import { LitElement, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { localized, msg } from '@lit/localize';
import { Task } from '@lit/task';
import { errorText } from '../data/error-text.js';
import { query } from '../data/api.js';
import {
  fetchClasses,
  fetchClouds,
  fetchTree,
  isQuotasMissing,
  nodeClasses,
  nodeKey,
  ratio,
  treeRows,
} from '../data/quotas.js';
import type { Cloud, QuotaTree, ResourceClass, TreeNode, TreeRow } from '../data/quotas.js';
import { formatPercent } from '../common/format.js';
import { locationChangedEvent, navigate } from '../common/router.js';
import { pageStyles, sharedStyles } from '../common/styles.js';
import { clickedNode, quotaTreemapOption, utilisationColor } from '../charts/quota-charts.js';
import type { ChartClickDetail } from '../charts/ts-chart.js';
import { amountText, classLabel, quotaStyles, quotasUnavailable } from './ts-page-quota-common.js';
import '../charts/ts-chart.js';
import '../components/ts-panel.js';

interface TreeQuery {
  cloud: string;
  root: string;
  cls: string;
}

const readQuery = (search: string): TreeQuery => {
  const p = new URLSearchParams(search);
  return { cloud: p.get('cloud') ?? '', root: p.get('root') ?? '', cls: p.get('class') ?? '' };
};
const querySearch = (q: TreeQuery): string =>
  query({ cloud: q.cloud || undefined, root: q.root || undefined, class: q.cls || undefined });

/**
 * The quota tree (配额分配): from the cloud's owner down through the org units to the projects, per
 * resource class the quota, what is allocated to the children, used and physically used. A treemap
 * (area = quota of one class, colour = utilisation) and an expandable table; a click on an org unit
 * goes down to it; the cloud selector shows one cloud or all the caller sees, summed.
 */
@localized()
@customElement('ts-page-quota-tree')
export class TsPageQuotaTree extends LitElement {
  static override styles = [sharedStyles, pageStyles, ...quotaStyles];

  @state() private _query: TreeQuery = readQuery(window.location.search);

  @state() private _expanded = new Set<string>();

  override connectedCallback() {
    super.connectedCallback();
    window.addEventListener('popstate', this._onLocation);
    window.addEventListener(locationChangedEvent, this._onLocation);
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    window.removeEventListener('popstate', this._onLocation);
    window.removeEventListener(locationChangedEvent, this._onLocation);
  }

  private _onLocation = () => {
    if (window.location.pathname !== '/quotas/tree') return;
    const next = readQuery(window.location.search);
    if (querySearch(next) !== querySearch(this._query)) this._query = next;
  };

  private _set(change: Partial<TreeQuery>) {
    this._query = { ...this._query, ...change };
    if (change.root !== undefined || change.cloud !== undefined) this._expanded = new Set();
    navigate(`/quotas/tree${querySearch(this._query)}`);
  }

  private readonly _meta = new Task(this, {
    task: async (_args, { signal }): Promise<{ clouds: Cloud[]; classes: ResourceClass[] }> => {
      const [clouds, classes] = await Promise.all([fetchClouds(signal), fetchClasses(signal)]);
      return { clouds, classes };
    },
    args: () => [] as const,
  });

  private readonly _tree = new Task(this, {
    task: ([cloud, root], { signal }) => fetchTree(cloud, root, signal),
    args: () => [this._query.cloud, this._query.root] as const,
  });

  override render() {
    const heading = msg('Quota tree', { id: 'quotas.tree.heading' });
    if (isQuotasMissing(this._tree.error) || isQuotasMissing(this._meta.error))
      return quotasUnavailable(heading);
    const meta = this._meta.value;
    const tree = this._tree.value;
    const classes = meta?.classes ?? [];
    const shown = tree
      ? nodeClasses(
          tree.root,
          classes.map((c) => c.id),
        )
      : [];
    const cls = shown.includes(this._query.cls) ? this._query.cls : (shown[0] ?? '');
    return html`<div class="page-header"><h1>${heading}</h1></div>
      <div class="stack">
        <ts-panel heading=${msg('Filters', { id: 'quotas.filters' })}>
          <div class="row">
            <label class="field"
              >${msg('Cloud', { id: 'quotas.col.cloud' })}
              <select
                data-testid="tree-cloud"
                @change=${(e: Event) => this._set({ cloud: (e.target as HTMLSelectElement).value, root: '' })}
              >
                <option value="" ?selected=${this._query.cloud === ''}>
                  ${msg('All clouds I see (summed)', { id: 'quotas.tree.allClouds' })}
                </option>
                ${(meta?.clouds ?? []).map(
                  (c) =>
                    html`<option value=${c.id} ?selected=${c.id === this._query.cloud}>${c.name}</option>`,
                )}
              </select></label
            >
            <label class="field"
              >${msg('Resource class', { id: 'quotas.col.class' })}
              <select
                data-testid="tree-class"
                @change=${(e: Event) => this._set({ cls: (e.target as HTMLSelectElement).value })}
              >
                ${shown.map(
                  (c) => html`<option value=${c} ?selected=${c === cls}>${classLabel(c, classes)}</option>`,
                )}
              </select></label
            >
            ${
              this._query.root
                ? html`<button
                    type="button"
                    class="btn"
                    data-testid="tree-top"
                    @click=${() => this._set({ root: '' })}
                  >
                    ${msg('Back to the top', { id: 'quotas.tree.top' })}
                  </button>`
                : nothing
            }
          </div>
        </ts-panel>
        ${this._tree.render({
          pending: () =>
            tree
              ? this._content(tree, classes, cls, true)
              : html`<ts-panel heading=${heading} state="loading"></ts-panel>`,
          error: (e) =>
            html`<ts-panel
              heading=${heading}
              state="error"
              .error=${errorText(e)}
              @ts-retry=${() => void this._tree.run()}
            ></ts-panel>`,
          complete: (t) => this._content(t, classes, cls, false),
        })}
      </div>`;
  }

  private _goDown(n: Pick<TreeNode, 'kind' | 'id'>) {
    if (n.kind === 'org-unit') this._set({ root: n.id });
  }

  private _content(tree: QuotaTree, classes: ResourceClass[], cls: string, busy: boolean) {
    const shown = nodeClasses(
      tree.root,
      classes.map((c) => c.id),
    );
    const rows = treeRows(tree.root, this._expanded);
    return html`<ts-panel
        heading=${tree.root.name}
        ?busy=${busy}
        data-testid="tree-root"
        data-root=${tree.root.id}
      >
        <div class="legend" slot="meta">
          ${[
            [0.1, msg('Idle (< 30 %)', { id: 'quotas.tree.legendIdle' })],
            [0.5, msg('Healthy', { id: 'quotas.tree.legendHealthy' })],
            [0.8, msg('Busy (≥ 70 %)', { id: 'quotas.tree.legendBusy' })],
            [0.95, msg('Nearly full (≥ 90 %)', { id: 'quotas.tree.legendFull' })],
          ].map(
            ([share, label]) =>
              html`<span
                ><span class="swatch" style="background:${utilisationColor(share as number)}"></span
                >${label}</span
              >`,
          )}
        </div>
        ${
          cls && tree.root.children.some((c) => (c.quota[cls] ?? 0) > 0)
            ? html`<ts-chart
                class="treemap"
                data-testid="tree-treemap"
                .option=${quotaTreemapOption(tree.root, cls, classes)}
                @ts-chart-click=${(e: CustomEvent<ChartClickDetail>) => {
                  const n = clickedNode(e.detail.data);
                  if (n) this._goDown(n);
                }}
              ></ts-chart>`
            : html`<p class="empty">
                ${msg('Nothing allocated below this org unit yet.', { id: 'quotas.tree.emptyMap' })}
              </p>`
        }
      </ts-panel>
      <ts-panel heading=${msg('Quotas', { id: 'quotas.tree.table' })}>
        <div style="overflow:auto">
          <table class="amounts" data-testid="tree-table">
            <thead>
              <tr>
                <th rowspan="2">${msg('Org unit / project', { id: 'quotas.col.node' })}</th>
                ${shown.map((c) => html`<th colspan="5">${classLabel(c, classes)}</th>`)}
              </tr>
              <tr>
                ${shown.map(
                  () =>
                    html`<th>${msg('Quota', { id: 'quotas.col.quota' })}</th>
                      <th>${msg('To children', { id: 'quotas.col.toChildren' })}</th>
                      <th>${msg('Used', { id: 'quotas.chart.used' })}</th>
                      <th>${msg('Physically used', { id: 'quotas.chart.physical' })}</th>
                      <th>${msg('Utilisation', { id: 'quotas.col.utilisation' })}</th>`,
                )}
              </tr>
            </thead>
            <tbody>
              ${rows.map((r) => this._row(r, shown, classes))}
            </tbody>
          </table>
        </div>
      </ts-panel>`;
  }

  private _row(r: TreeRow, shown: string[], classes: ResourceClass[]) {
    const n = r.node;
    const key = nodeKey(n);
    const toggle = () => {
      const next = new Set(this._expanded);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      this._expanded = next;
    };
    return html`<tr data-testid="tree-row" data-key=${key} data-kind=${n.kind} data-depth=${r.depth}>
      <td>
        <span class="indent" style="width:${r.depth * 16}px"></span>
        ${
          r.hasChildren && r.depth > 0
            ? html`<button
                type="button"
                class="toggle"
                data-testid="tree-toggle"
                aria-expanded=${r.expanded ? 'true' : 'false'}
                aria-label=${
                  r.expanded
                    ? msg('Collapse', { id: 'quotas.tree.collapse' })
                    : msg('Expand', { id: 'quotas.tree.expand' })
                }
                @click=${toggle}
              >
                ${r.expanded ? '▾' : '▸'}
              </button>`
            : html`<span class="toggle"></span>`
        }
        ${
          n.kind === 'org-unit' && r.depth > 0
            ? html`<a
                href=${`/quotas/tree${querySearch({ ...this._query, root: n.id })}`}
                data-testid="tree-down"
                @click=${(e: Event) => {
                  e.preventDefault();
                  this._goDown(n);
                }}
                >${n.name}</a
              >`
            : html`<span class=${n.kind === 'project' ? 'mono' : ''}>${n.name}</span>`
        }
      </td>
      ${shown.map((c) => {
        const share = ratio(n.used[c], n.quota[c]);
        const v = (x: number | undefined) => (x === undefined ? '—' : amountText(c, x, classes));
        return html`<td data-class=${c} data-field="quota">${v(n.quota[c])}</td>
          <td data-class=${c} data-field="toChildren">
            ${n.kind === 'project' ? '' : v(n.allocatedToChildren[c])}
          </td>
          <td data-class=${c} data-field="used">${v(n.used[c])}</td>
          <td data-class=${c} data-field="physical">${v(n.physical[c])}</td>
          <td data-class=${c}>${share === null ? '—' : formatPercent(share * 100, 0)}</td>`;
      })}
    </tr>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-page-quota-tree': TsPageQuotaTree;
  }
}
