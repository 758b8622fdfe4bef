import { LitElement, css, html, nothing, svg } from 'lit';
import { customElement, query, state } from 'lit/decorators.js';
import { localized, msg, str } from '@lit/localize';
import { onUnauthorized } from '../data/api.js';
import { fetchMe, logout, saveLocale } from '../data/auth.js';
import type { User } from '../data/auth.js';
import {
  internalLinkTarget,
  isActivePath,
  locationChangedEvent,
  navigate,
  resolveRoute,
} from '../common/router.js';
import type { RouteParams } from '../common/router.js';
import { sharedStyles, themeTokens } from '../common/styles.js';
import { applyLocale, currentLocale, rememberedLocale, type AppLocale } from '../i18n/locale.js';
import { accountPages, isGroup, navigation, pageLoaders, routes, wallPage } from './navigation.js';
import type { AppRoute, NavItem, PageKind } from './navigation.js';
import type { LoginEventDetail } from '../pages/ts-page-login.js';
import '../components/ts-status-banner.js';
import '../pages/ts-page-login.js';

/** The Big Dipper, whose first star is Tianshu (Dubhe), drawn as the product mark. */
const logo = svg`<svg viewBox="0 0 32 32" width="26" height="26" aria-hidden="true">
  <rect width="32" height="32" rx="6" fill="#1f3a5c"></rect>
  <polyline points="6,9 12,12 17,15 21,19 27,17 27,25 20,26 21,19" fill="none" stroke="#5f8fc7" stroke-width="1"></polyline>
  <g fill="#cfe3ff">
    <circle cx="6" cy="9" r="2.6" fill="#ffffff"></circle>
    <circle cx="12" cy="12" r="1.7"></circle><circle cx="17" cy="15" r="1.7"></circle>
    <circle cx="21" cy="19" r="1.7"></circle><circle cx="27" cy="17" r="1.7"></circle>
    <circle cx="27" cy="25" r="1.7"></circle><circle cx="20" cy="26" r="1.7"></circle>
  </g>
</svg>`;

/**
 * The console shell: it checks the session, shows the login page or the header, navigation and the
 * page for the current path, and routes with the History API.
 */
@localized()
@customElement('ts-app')
export class TsApp extends LitElement {
  static override styles = [
    themeTokens,
    sharedStyles,
    css`
      :host {
        display: grid;
        grid-template-rows: 44px auto 1fr;
        grid-template-columns: 208px 1fr;
        height: 100vh;
        background: var(--ts-bg);
      }
      :host([signed-out]) {
        display: block;
      }
      .splash {
        display: flex;
        height: 100vh;
        align-items: center;
        justify-content: center;
        background: var(--ts-header-bg);
        color: var(--ts-nav-fg);
      }
      .skip {
        position: absolute;
        left: 8px;
        top: -40px;
        z-index: 10;
        padding: 6px 10px;
        background: var(--ts-surface);
        color: var(--ts-text);
      }
      .skip:focus {
        top: 8px;
      }
      ts-status-banner {
        grid-column: 1 / -1;
      }
      header {
        grid-column: 1 / -1;
        display: flex;
        align-items: center;
        gap: 12px;
        padding: 0 12px 0 14px;
        background: var(--ts-header-bg);
        color: var(--ts-header-fg);
        border-bottom: 1px solid #0a1118;
      }
      .brand {
        display: flex;
        align-items: center;
        gap: 9px;
        color: inherit;
        text-decoration: none;
        border-radius: 3px;
      }
      .brand strong {
        font-size: 15px;
        font-weight: 600;
        letter-spacing: 0.02em;
      }
      .brand .sub {
        padding-left: 10px;
        border-left: 1px solid #2f3d4c;
        color: var(--ts-nav-fg);
        font-size: 12px;
      }
      header .spacer {
        flex: 1;
      }
      .scope {
        color: var(--ts-nav-fg);
        font-size: 12px;
      }
      .scope b {
        color: var(--ts-header-fg);
        font-weight: 500;
      }
      .menu {
        position: relative;
      }
      .menu-button {
        display: flex;
        align-items: center;
        gap: 8px;
        height: 30px;
        padding: 0 8px 0 4px;
        border: 1px solid transparent;
        border-radius: var(--ts-radius);
        background: transparent;
        color: var(--ts-header-fg);
        font: inherit;
        cursor: pointer;
      }
      .menu-button:hover,
      .menu-button[aria-expanded='true'] {
        background: #1d2a37;
        border-color: #2f3d4c;
      }
      .avatar {
        display: inline-flex;
        align-items: center;
        justify-content: center;
        width: 22px;
        height: 22px;
        border-radius: 50%;
        background: #2f5f99;
        color: #fff;
        font-size: 11px;
        font-weight: 600;
      }
      .chevron {
        font-size: 9px;
        color: var(--ts-nav-fg);
      }
      .dropdown {
        position: absolute;
        right: 0;
        top: calc(100% + 6px);
        z-index: 20;
        width: 250px;
        padding: 6px 0;
        background: var(--ts-surface);
        color: var(--ts-text);
        border: 1px solid var(--ts-border-strong);
        border-radius: var(--ts-radius);
        box-shadow: 0 6px 20px rgba(10, 17, 24, 0.25);
      }
      .identity {
        padding: 6px 14px 10px;
        border-bottom: 1px solid var(--ts-border);
      }
      .identity .name {
        font-weight: 600;
      }
      .identity dl {
        display: grid;
        grid-template-columns: auto 1fr;
        gap: 2px 10px;
        margin: 6px 0 0;
        font-size: 12px;
      }
      .identity dt {
        color: var(--ts-text-muted);
      }
      .identity dd {
        margin: 0;
        overflow-wrap: anywhere;
      }
      .dropdown [role='menuitem'] {
        display: block;
        box-sizing: border-box;
        text-decoration: none;
        width: 100%;
        padding: 7px 14px;
        border: 0;
        background: transparent;
        color: inherit;
        font: inherit;
        text-align: start;
        cursor: pointer;
      }
      .dropdown [role='menuitem']:hover,
      .dropdown [role='menuitem']:focus-visible {
        background: var(--ts-accent-soft);
        box-shadow: none;
      }
      .languages {
        display: flex;
        gap: 6px;
        padding: 8px 14px;
        border-bottom: 1px solid var(--ts-border);
      }
      .languages button {
        flex: 1;
        padding: 4px 8px;
        border: 1px solid var(--ts-border-strong);
        border-radius: var(--ts-radius);
        background: var(--ts-surface);
        color: inherit;
        font: inherit;
        cursor: pointer;
      }
      .languages button[aria-checked='true'] {
        border-color: var(--ts-accent);
        background: var(--ts-accent-soft);
        font-weight: 600;
      }
      .menu-error {
        margin: 6px 14px;
        color: var(--ts-bad);
        font-size: 12px;
      }
      nav {
        overflow-y: auto;
        padding: 10px 0 16px;
        background: var(--ts-nav-bg);
        color: var(--ts-nav-fg);
      }
      nav ul {
        margin: 0;
        padding: 0;
        list-style: none;
      }
      nav a {
        display: block;
        margin: 1px 8px;
        padding: 6px 10px;
        border-radius: 3px;
        color: inherit;
        text-decoration: none;
      }
      nav a:hover {
        background: var(--ts-nav-hover-bg);
        color: var(--ts-nav-active-fg);
      }
      nav a[aria-current='page'] {
        background: var(--ts-nav-active-bg);
        color: var(--ts-nav-active-fg);
        box-shadow: inset 3px 0 0 #5b9bf0;
      }
      nav a.group {
        margin-top: 12px;
        padding: 4px 10px;
        color: var(--ts-nav-heading);
        font-size: 11px;
        font-weight: 600;
        letter-spacing: 0.06em;
        text-transform: uppercase;
      }
      nav a.group.active {
        color: var(--ts-nav-fg);
      }
      nav a.child {
        padding-left: 18px;
      }
      main {
        overflow: auto;
        min-width: 0;
      }
      main:focus {
        outline: none;
      }
      .not-found {
        padding: 32px 20px;
      }
    `,
  ];

  /** Undefined while the session is being checked, null when signed out. */
  @state() private _user: User | null | undefined = undefined;

  @state() private _path = window.location.pathname;

  @state() private _menuOpen = false;

  /** A page module that failed to load (e.g. the server was upgraded meanwhile), with the reason. */
  @state() private _loadFailure: { page: PageKind; reason: string } | undefined;

  private readonly _loading = new Set<PageKind>();

  @query('main') private _main?: HTMLElement;

  private _stopUnauthorized?: () => void;

  override connectedCallback() {
    super.connectedCallback();
    window.addEventListener('popstate', this._onLocationChanged);
    window.addEventListener(locationChangedEvent, this._onLocationChanged);
    document.addEventListener('click', this._onDocumentClick);
    this.addEventListener('click', this._onLinkClick);
    this._stopUnauthorized = onUnauthorized(() => {
      this._user = null;
      this._menuOpen = false;
    });
    void this._checkSession();
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    window.removeEventListener('popstate', this._onLocationChanged);
    window.removeEventListener(locationChangedEvent, this._onLocationChanged);
    document.removeEventListener('click', this._onDocumentClick);
    this.removeEventListener('click', this._onLinkClick);
    this._stopUnauthorized?.();
  }

  private async _checkSession() {
    // Before sign-in the server cannot say which language the user chose: this browser's last one
    // (or its languages) decide; the user's own choice, kept by the server, wins once known.
    await applyLocale(rememberedLocale()).catch(() => undefined);
    let user: User | null;
    try {
      user = await fetchMe();
    } catch {
      user = null;
    }
    if (user?.locale) await applyLocale(user.locale).catch(() => undefined);
    this._user = user;
  }

  override render() {
    if (this._user === undefined) {
      return html`<div class="splash" role="status">${msg('Loading…', { id: 'app.loading' })}</div>`;
    }
    if (this._user === null) {
      return html`<ts-page-login @ts-login=${this._onLogin}></ts-page-login>`;
    }
    const match = resolveRoute(routes, this._path);
    if (match?.route.item?.page === 'wall') {
      // The wall display fills the screen on its own, without header, banner or navigation.
      this._load('wall');
      return html`<ts-page-wall></ts-page-wall>`;
    }
    return html`
      <a class="skip" href="#main" @click=${this._skipToMain}
        >${msg('Skip to content', { id: 'app.skip' })}</a
      >
      ${this._renderHeader(this._user)}
      <ts-status-banner></ts-status-banner>
      ${this._renderNav()}
      <main id="main" tabindex="-1">${this._renderPage(match?.route, match?.params ?? {})}</main>
    `;
  }

  protected override willUpdate() {
    this.toggleAttribute('signed-out', this._user == null);
  }

  protected override updated() {
    const match = resolveRoute(routes, this._path);
    const title = this._user
      ? (match?.route.item?.label() ?? msg('Not found', { id: 'app.notFound.title' }))
      : msg('Sign in', { id: 'app.signIn.title' });
    document.title = `${title} · ${msg('Tianshu', { id: 'app.product' })}`;
    if (this._user && match?.route.redirect) navigate(match.route.redirect, { replace: true });
    if (this._user && this._path === '/login') navigate('/', { replace: true });
  }

  private _renderHeader(user: User) {
    const initial = (user.displayName || user.username).trim().charAt(0).toUpperCase();
    return html`<header>
      <a class="brand" href="/" aria-label=${msg('Tianshu, overview', { id: 'app.brand.label' })}>
        ${logo}<strong>${msg('Tianshu', { id: 'app.product' })}</strong
        ><span class="sub">${msg('Operations control plane', { id: 'app.tagline' })}</span>
      </a>
      <span class="spacer"></span>
      <span class="scope">${msg(html`Scope <b>${user.orgUnitName}</b>`, { id: 'app.scope' })}</span>
      <div class="menu">
        <button
          class="menu-button"
          type="button"
          data-testid="user-menu"
          aria-haspopup="menu"
          aria-expanded=${this._menuOpen ? 'true' : 'false'}
          aria-controls="user-menu"
          @click=${this._toggleMenu}
        >
          <span class="avatar" aria-hidden="true">${initial}</span>
          <span>${user.displayName || user.username}</span>
          <span class="chevron" aria-hidden="true">▼</span>
        </button>
        ${
          this._menuOpen
            ? html`<div class="dropdown" id="user-menu" @keydown=${this._onMenuKeyDown}>
                <div class="identity">
                  <div class="name">${user.displayName}</div>
                  <dl>
                    <dt>${msg('User', { id: 'app.menu.user' })}</dt>
                    <dd class="mono">${user.username}</dd>
                    <dt>${msg('Roles', { id: 'app.menu.roles' })}</dt>
                    <dd>${user.roles.join(', ') || '—'}</dd>
                    <dt>${msg('Org unit', { id: 'app.menu.orgUnit' })}</dt>
                    <dd>${user.orgUnitName}</dd>
                  </dl>
                </div>
                <div
                  class="languages"
                  role="group"
                  aria-label=${msg('Language', { id: 'app.menu.language' })}
                >
                  ${this._languages().map(
                    ([locale, name]) =>
                      html`<button
                        type="button"
                        role="menuitemradio"
                        lang=${locale}
                        data-testid="locale-${locale}"
                        aria-checked=${currentLocale() === locale ? 'true' : 'false'}
                        @click=${() => void this._switchLocale(locale)}
                      >
                        ${name}
                      </button>`,
                  )}
                </div>
                ${
                  this._localeError
                    ? html`<p class="menu-error" role="alert" data-testid="locale-error">
                        ${this._localeError}
                      </p>`
                    : nothing
                }
                <div role="menu" aria-label=${msg('Account', { id: 'app.menu.account' })}>
                  ${accountPages.map(
                    (page) =>
                      html`<a
                        role="menuitem"
                        href=${page.path}
                        data-testid="nav-${page.id}"
                        aria-current=${isActivePath(page.path, this._path) ? 'page' : 'false'}
                        >${page.label()}</a
                      >`,
                  )}
                  <a role="menuitem" href=${wallPage.path} data-testid="nav-${wallPage.id}"
                    >${wallPage.label()}</a
                  >
                  <button type="button" role="menuitem" data-testid="logout" @click=${this._logout}>
                    ${msg('Sign out', { id: 'app.menu.signOut' })}
                  </button>
                </div>
              </div>`
            : nothing
        }
      </div>
    </header>`;
  }

  private _renderNav() {
    // The deepest entry that contains the path is the current one (`/flows/egress` is not the explorer's `/flows`).
    const items = navigation.flatMap((entry) => (isGroup(entry) ? entry.items : [entry]));
    const deepest = items
      .filter((item) => (item.path === '/' ? this._path === '/' : isActivePath(item.path, this._path)))
      .sort((a, b) => b.path.length - a.path.length)[0];
    const link = (item: NavItem, child: boolean) => {
      const current = item === deepest;
      return html`<li>
        <a
          href=${item.path}
          class=${child ? 'child' : ''}
          data-testid="nav-${item.id}"
          aria-current=${current ? 'page' : 'false'}
          >${item.label()}</a
        >
      </li>`;
    };
    return html`<nav aria-label=${msg('Main', { id: 'app.nav.label' })}>
      <ul>
        ${navigation.map((entry) => {
          if (!isGroup(entry)) return link(entry, false);
          const active = entry.items.some((item) => isActivePath(item.path, this._path));
          return html`<li>
            <a
              class="group ${active ? 'active' : ''}"
              href=${entry.items[0]?.path ?? '/'}
              data-testid="nav-${entry.id}"
              >${entry.label()}</a
            >
            <ul>
              ${entry.items.map((item) => link(item, true))}
            </ul>
          </li>`;
        })}
      </ul>
    </nav>`;
  }

  private _renderPage(route: AppRoute | undefined, params: RouteParams) {
    const item = route?.item;
    if (!item) {
      if (route?.redirect) return nothing;
      return html`<div class="not-found">
        <h1>${msg('Page not found', { id: 'app.notFound.heading' })}</h1>
        <p>
          ${msg(
            html`There is no page at <span class="mono">${this._path}</span>.
              <a href="/">Go to the overview</a>.`,
            {
              id: 'app.notFound.text',
            },
          )}
        </p>
      </div>`;
    }
    if (this._loadFailure?.page === item.page) {
      return html`<div class="not-found" role="alert" data-testid="page-load-error">
        <h1>${msg('This page could not be loaded', { id: 'app.loadFailed.heading' })}</h1>
        <p>
          ${msg(str`The console could not fetch the page's code: ${this._loadFailure.reason}.`, { id: 'app.loadFailed.text' })}
        </p>
        <p>
          <button type="button" @click=${() => window.location.reload()}>
            ${msg('Reload the console', { id: 'app.loadFailed.reload' })}
          </button>
        </p>
      </div>`;
    }
    this._load(item.page);
    switch (item.page) {
      case 'overview':
        return html`<ts-page-overview></ts-page-overview>`;
      case 'agents':
        return html`<ts-page-agents .user=${this._user ?? undefined}></ts-page-agents>`;
      case 'audit':
        return html`<ts-page-audit></ts-page-audit>`;
      case 'users':
        return html`<ts-page-users></ts-page-users>`;
      case 'topology':
        return html`<ts-page-topology></ts-page-topology>`;
      case 'links':
        return html`<ts-page-links></ts-page-links>`;
      case 'devices':
        return html`<ts-page-devices .user=${this._user ?? undefined}></ts-page-devices>`;
      case 'device-detail':
        return html`<ts-page-device-detail
          .deviceId=${params['id'] ?? ''}
          .user=${this._user ?? undefined}
        ></ts-page-device-detail>`;
      case 'interface-detail':
        return html`<ts-page-interface-detail
          .deviceId=${params['id'] ?? ''}
          .ifIndex=${params['ifIndex'] ?? ''}
        ></ts-page-interface-detail>`;
      case 'link-detail':
        return html`<ts-page-link-detail .linkId=${params['id'] ?? ''}></ts-page-link-detail>`;
      case 'alarms':
        return html`<ts-page-alarms></ts-page-alarms>`;
      case 'conformance':
        return html`<ts-page-conformance></ts-page-conformance>`;
      case 'prefixes':
        return html`<ts-page-prefixes .user=${this._user ?? undefined}></ts-page-prefixes>`;
      case 'api-tokens':
        return html`<ts-page-api-tokens .user=${this._user ?? undefined}></ts-page-api-tokens>`;
      case 'flows':
        return html`<ts-page-flows></ts-page-flows>`;
      case 'flow-egress':
        return html`<ts-page-flow-egress .user=${this._user ?? undefined}></ts-page-flow-egress>`;
      case 'flow-exporters':
        return html`<ts-page-flow-exporters></ts-page-flow-exporters>`;
      case 'security':
        return html`<ts-page-security .user=${this._user ?? undefined}></ts-page-security>`;
      case 'security-alerts':
        return html`<ts-page-security-alerts .user=${this._user ?? undefined}></ts-page-security-alerts>`;
      case 'security-incidents':
        return html`<ts-page-security-incidents></ts-page-security-incidents>`;
      case 'security-incident':
        return html`<ts-page-security-incident
          .incidentId=${params['id'] ?? ''}
          .user=${this._user ?? undefined}
        ></ts-page-security-incident>`;
      case 'security-events':
        return html`<ts-page-security-events></ts-page-security-events>`;
      case 'security-rules':
        return html`<ts-page-security-rules></ts-page-security-rules>`;
      case 'quotas':
        return html`<ts-page-quotas .user=${this._user ?? undefined}></ts-page-quotas>`;
      case 'quota-tree':
        return html`<ts-page-quota-tree></ts-page-quota-tree>`;
      case 'quota-request-new':
        return html`<ts-page-quota-request-new .user=${this._user ?? undefined}></ts-page-quota-request-new>`;
      case 'quota-requests':
        return html`<ts-page-quota-requests></ts-page-quota-requests>`;
      case 'quota-request':
        return html`<ts-page-quota-request
          .requestId=${params['id'] ?? ''}
          .user=${this._user ?? undefined}
        ></ts-page-quota-request>`;
      case 'quota-inbox':
        return html`<ts-page-quota-inbox .user=${this._user ?? undefined}></ts-page-quota-inbox>`;
      case 'quota-reclaims':
        return html`<ts-page-quota-reclaims .user=${this._user ?? undefined}></ts-page-quota-reclaims>`;
      case 'quota-showback':
        return html`<ts-page-quota-showback></ts-page-quota-showback>`;
      case 'quota-scorecards':
        return html`<ts-page-quota-scorecards></ts-page-quota-scorecards>`;
    }
  }

  /** Starts loading a page's module; its element upgrades in place when the module arrives. */
  private _load(page: PageKind) {
    if (this._loading.has(page)) return;
    this._loading.add(page);
    pageLoaders[page]().catch((err: unknown) => {
      this._loading.delete(page);
      this._loadFailure = { page, reason: err instanceof Error ? err.message : String(err) };
    });
  }

  private _languages(): [AppLocale, string][] {
    return [
      ['zh-CN', msg('中文', { id: 'app.language.zh' })],
      ['en', msg('English', { id: 'app.language.en' })],
    ];
  }

  @state() private _localeError = '';

  /** Switches the language now and keeps the choice with the user on the server. */
  private async _switchLocale(locale: AppLocale) {
    this._localeError = '';
    await applyLocale(locale);
    try {
      await saveLocale(locale);
      if (this._user) this._user = { ...this._user, locale };
    } catch {
      this._localeError = msg(
        'The language is used here, but the server could not keep it for your other browsers.',
        {
          id: 'app.menu.languageNotSaved',
        },
      );
    }
  }

  private _onLocationChanged = () => {
    this._path = window.location.pathname;
    this._menuOpen = false;
    this._main?.scrollTo(0, 0);
  };

  private _onLinkClick = (event: MouseEvent) => {
    const target = internalLinkTarget(event);
    if (target === null || target.startsWith('#')) return;
    const url = new URL(target, window.location.origin);
    if (url.pathname === window.location.pathname && url.hash) return;
    event.preventDefault();
    navigate(target);
  };

  private _onDocumentClick = (event: MouseEvent) => {
    if (!this._menuOpen) return;
    const inside = event
      .composedPath()
      .some((node) => node instanceof HTMLElement && node.classList.contains('menu'));
    if (!inside) this._menuOpen = false;
  };

  private _skipToMain(event: Event) {
    event.preventDefault();
    this._main?.focus();
  }

  private async _toggleMenu() {
    this._menuOpen = !this._menuOpen;
    if (this._menuOpen) {
      await this.updateComplete;
      this.renderRoot.querySelector<HTMLElement>('[role="menuitem"]')?.focus();
    }
  }

  private _onMenuKeyDown(event: KeyboardEvent) {
    if (event.key === 'Escape') {
      this._menuOpen = false;
      this.renderRoot.querySelector<HTMLElement>('.menu-button')?.focus();
    }
  }

  private async _onLogin(event: CustomEvent<LoginEventDetail>) {
    const user = event.detail.user;
    if (user.locale) await applyLocale(user.locale).catch(() => undefined);
    this._user = user;
    if (this._path === '/login') navigate('/', { replace: true });
  }

  private async _logout() {
    this._menuOpen = false;
    try {
      await logout();
    } catch {
      // The session is treated as ended even if the server could not be told.
    }
    this._user = null;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-app': TsApp;
  }
}
