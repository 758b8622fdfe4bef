/** Panel states shared by the network pages. */
import { css, html } from 'lit';
import { isNetworkUnavailable, networkErrorMessage, networkUnavailableText } from '../data/network.js';
import '../components/ts-panel.js';

/**
 * The panel for a failed load: a calm notice when the server has no network module at all (it
 * answers 404), else the error with a retry button. `heading` is a text from the catalogue.
 */
export function networkErrorPanel(heading: string, error: unknown, retry: () => void, className = '') {
  if (isNetworkUnavailable(error)) {
    return html`<ts-panel class=${className} heading=${heading}>
      <p class="unavailable" data-testid="network-unavailable" role="status">${networkUnavailableText()}</p>
    </ts-panel>`;
  }
  return html`<ts-panel
    class=${className}
    heading=${heading}
    state="error"
    .error=${networkErrorMessage(error)}
    @ts-retry=${retry}
  ></ts-panel>`;
}

/** Styles shared by the network pages: the unavailable notice, filter chips and segmented buttons. */
export const networkStyles = css`
  .unavailable {
    margin: 0;
    padding: 18px 4px;
    color: var(--ts-text-muted);
    text-align: center;
  }
  .filters {
    display: inline-flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 4px;
  }
  .filters .label {
    margin: 0 2px 0 8px;
    color: var(--ts-text-muted);
    font-size: 12px;
  }
  .filters .label:first-child {
    margin-left: 0;
  }
  .filters button {
    height: 24px;
    padding: 0 9px;
    border: 1px solid var(--ts-border-strong);
    border-radius: 12px;
    background: var(--ts-surface);
    color: var(--ts-text);
    font: inherit;
    font-size: 12px;
    cursor: pointer;
  }
  .filters button[aria-pressed='true'] {
    background: var(--ts-accent-soft);
    border-color: var(--ts-accent);
    color: var(--ts-accent-strong);
  }
  .filters button .count {
    margin-left: 3px;
    color: var(--ts-text-muted);
    font-variant-numeric: tabular-nums;
  }
  .segmented {
    display: inline-flex;
    border: 1px solid var(--ts-border-strong);
    border-radius: var(--ts-radius);
    overflow: hidden;
  }
  .segmented button {
    height: 24px;
    padding: 0 9px;
    border: 0;
    border-left: 1px solid var(--ts-border-strong);
    background: var(--ts-surface);
    color: var(--ts-text);
    font: inherit;
    font-size: 12px;
    cursor: pointer;
  }
  .segmented button:first-child {
    border-left: 0;
  }
  .segmented button[aria-pressed='true'],
  .segmented button[aria-selected='true'] {
    background: var(--ts-accent);
    color: #fff;
  }
  a {
    color: var(--ts-accent);
  }
  .nowrap {
    white-space: nowrap;
  }
`;
