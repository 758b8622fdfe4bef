import { css } from 'lit';

/**
 * Design tokens as CSS custom properties. They are set once on `ts-app` and inherited through every
 * shadow root below it.
 */
export const themeTokens = css`
  :host {
    --ts-font:
      system-ui, -apple-system, 'Segoe UI', 'PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei',
      'Noto Sans CJK SC', 'Source Han Sans SC', Roboto, 'Helvetica Neue', Arial, sans-serif;
    --ts-font-mono:
      ui-monospace, 'SFMono-Regular', 'Cascadia Mono', Menlo, Consolas, 'Noto Sans Mono CJK SC',
      'PingFang SC', 'Microsoft YaHei', monospace;
    --ts-header-bg: #121b25;
    --ts-header-fg: #e6edf5;
    --ts-nav-bg: #1b2631;
    --ts-nav-fg: #aab8c6;
    --ts-nav-heading: #6f8092;
    --ts-nav-hover-bg: #233140;
    --ts-nav-active-bg: #2b3d50;
    --ts-nav-active-fg: #ffffff;
    --ts-bg: #eef1f4;
    --ts-surface: #ffffff;
    --ts-surface-alt: #f6f8fa;
    --ts-border: #d8dee5;
    --ts-border-strong: #c3ccd6;
    --ts-text: #1d2733;
    --ts-text-muted: #5b6876;
    --ts-accent: #2a6fd6;
    --ts-accent-strong: #1f5bb5;
    --ts-accent-soft: #e6effb;
    --ts-ok: #1d8a56;
    --ts-ok-soft: #e3f4eb;
    --ts-warn: #b26a00;
    --ts-warn-soft: #fdf1dc;
    --ts-bad: #c23a35;
    --ts-bad-soft: #fbe7e6;
    --ts-idle: #6b7785;
    --ts-idle-soft: #eceff2;
    --ts-focus-ring: 0 0 0 2px var(--ts-surface), 0 0 0 4px var(--ts-accent);
    --ts-radius: 4px;
    font-family: var(--ts-font);
    font-size: 13px;
    line-height: 1.45;
    color: var(--ts-text);
  }
`;

/** Buttons, inputs and small helpers shared by elements. */
export const sharedStyles = css`
  *,
  *::before,
  *::after {
    box-sizing: border-box;
  }
  :focus-visible {
    outline: none;
    box-shadow: var(--ts-focus-ring);
  }
  .btn {
    display: inline-flex;
    align-items: center;
    gap: 6px;
    height: 28px;
    padding: 0 12px;
    border: 1px solid var(--ts-border-strong);
    border-radius: var(--ts-radius);
    background: var(--ts-surface);
    color: var(--ts-text);
    font: inherit;
    font-weight: 500;
    cursor: pointer;
    white-space: nowrap;
  }
  .btn:hover {
    background: var(--ts-surface-alt);
    border-color: var(--ts-text-muted);
  }
  .btn:disabled {
    cursor: default;
    opacity: 0.6;
  }
  .btn.primary {
    background: var(--ts-accent);
    border-color: var(--ts-accent);
    color: #fff;
  }
  .btn.primary:hover:not(:disabled) {
    background: var(--ts-accent-strong);
  }
  .num {
    font-variant-numeric: tabular-nums;
  }
  .muted {
    color: var(--ts-text-muted);
  }
  .mono {
    font-family: var(--ts-font-mono);
    font-size: 12px;
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }
  .chip {
    display: inline-block;
    padding: 0 6px;
    border: 1px solid var(--ts-border);
    border-radius: 3px;
    background: var(--ts-surface-alt);
    font-size: 12px;
    line-height: 18px;
    white-space: nowrap;
  }
  .chips {
    display: inline-flex;
    flex-wrap: wrap;
    gap: 4px;
  }
`;

/** The frame of a route element: a title bar and a scrolling body. */
export const pageStyles = css`
  :host {
    display: block;
    padding: 16px 20px 24px;
  }
  .page-header {
    display: flex;
    align-items: baseline;
    gap: 12px;
    margin: 0 0 12px;
  }
  h1 {
    margin: 0;
    font-size: 18px;
    font-weight: 600;
  }
  .page-header .muted {
    font-size: 12px;
  }
  .page-header .spacer {
    flex: 1;
  }
`;
