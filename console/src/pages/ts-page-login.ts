import { LitElement, css, html, nothing } from 'lit';
import { customElement, query, state } from 'lit/decorators.js';
import { ApiError, errorMessage } from '../data/api.js';
import { login } from '../data/auth.js';
import type { User } from '../data/auth.js';
import { sharedStyles } from '../common/styles.js';

export interface LoginEventDetail {
  user: User;
}

/**
 * The sign-in form. It shows the server's own message when sign-in fails (wrong password, too many
 * attempts).
 *
 * @fires ts-login - Sign-in succeeded; the detail carries the user.
 */
@customElement('ts-page-login')
export class TsPageLogin extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: flex;
        min-height: 100vh;
        align-items: center;
        justify-content: center;
        padding: 24px;
        background: radial-gradient(ellipse at 30% 0%, #1d3552 0%, transparent 60%), var(--ts-header-bg);
      }
      .card {
        width: 100%;
        max-width: 360px;
        background: var(--ts-surface);
        border-radius: 6px;
        box-shadow: 0 16px 48px rgba(0, 0, 0, 0.35);
        overflow: hidden;
      }
      .top {
        padding: 22px 28px 16px;
        border-bottom: 1px solid var(--ts-border);
      }
      h1 {
        margin: 0;
        font-size: 20px;
        font-weight: 600;
        letter-spacing: 0.02em;
      }
      .tagline {
        margin: 4px 0 0;
        color: var(--ts-text-muted);
        font-size: 12px;
      }
      form {
        display: grid;
        gap: 14px;
        padding: 20px 28px 24px;
      }
      label {
        display: grid;
        gap: 5px;
        font-weight: 500;
      }
      input {
        height: 34px;
        padding: 0 10px;
        border: 1px solid var(--ts-border-strong);
        border-radius: var(--ts-radius);
        background: var(--ts-surface);
        color: var(--ts-text);
        font: inherit;
        font-size: 14px;
      }
      input:focus-visible {
        border-color: var(--ts-accent);
      }
      .error {
        margin: 0;
        padding: 8px 10px;
        border: 1px solid #efc2bf;
        border-left: 3px solid var(--ts-bad);
        border-radius: var(--ts-radius);
        background: var(--ts-bad-soft);
        color: #8f2622;
      }
      .btn.primary {
        height: 36px;
        justify-content: center;
        font-size: 14px;
      }
      .foot {
        padding: 10px 28px;
        background: var(--ts-surface-alt);
        border-top: 1px solid var(--ts-border);
        color: var(--ts-text-muted);
        font-size: 12px;
      }
    `,
  ];

  @state() private _error = '';

  @state() private _submitting = false;

  /** Set once the server asked for a one-time code (the user enrolled a second factor). */
  @state() private _needOtp = false;

  @query('#username') private _username?: HTMLInputElement;

  @query('#password') private _password?: HTMLInputElement;

  @query('#otp') private _otp?: HTMLInputElement;

  override firstUpdated() {
    this._username?.focus();
  }

  override render() {
    return html`<div class="card">
      <div class="top">
        <h1>天枢 Tianshu</h1>
        <p class="tagline">Operations control plane — one cloud, one network, one wall</p>
      </div>
      <form @submit=${this._submit} novalidate>
        ${
          this._error
            ? html`<p class="error" role="alert" data-testid="login-error">${this._error}</p>`
            : nothing
        }
        <label for="username"
          >Username
          <input
            id="username"
            name="username"
            autocomplete="username"
            autocapitalize="none"
            spellcheck="false"
            required
            data-testid="login-username"
            ?disabled=${this._submitting}
          />
        </label>
        <label for="password"
          >Password
          <input
            id="password"
            name="password"
            type="password"
            autocomplete="current-password"
            required
            data-testid="login-password"
            ?disabled=${this._submitting}
          />
        </label>
        ${
          this._needOtp
            ? html`<label for="otp"
                >One-time code
                <input
                  id="otp"
                  name="otp"
                  inputmode="numeric"
                  autocomplete="one-time-code"
                  pattern="[0-9]{6}"
                  maxlength="6"
                  required
                  data-testid="login-otp"
                  ?disabled=${this._submitting}
                />
              </label>`
            : nothing
        }
        <button class="btn primary" type="submit" data-testid="login-submit" ?disabled=${this._submitting}>
          ${this._submitting ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <div class="foot">Authorised personnel only. Every sign-in is recorded in the audit log.</div>
    </div>`;
  }

  private async _submit(event: SubmitEvent) {
    event.preventDefault();
    const username = this._username?.value.trim() ?? '';
    const password = this._password?.value ?? '';
    const otp = this._needOtp ? (this._otp?.value.trim() ?? '') : undefined;
    if (!username || !password) {
      this._error = 'Enter your username and password.';
      (username ? this._password : this._username)?.focus();
      return;
    }
    this._submitting = true;
    this._error = '';
    try {
      const user = await login(username, password, otp);
      this.dispatchEvent(
        new CustomEvent<LoginEventDetail>('ts-login', { detail: { user }, bubbles: true, composed: true }),
      );
    } catch (error) {
      if (error instanceof ApiError && error.code === 'auth.otp_required') {
        // The password was right: keep it and ask for the code.
        this._needOtp = true;
        this._error = 'Enter the one-time code from your authenticator app.';
        this._submitting = false;
        await this.updateComplete;
        this._otp?.focus();
        return;
      }
      this._error =
        error instanceof ApiError && error.status === 0
          ? 'The control plane could not be reached. Check your connection and try again.'
          : errorMessage(error);
      this._submitting = false;
      await this.updateComplete;
      if (this._password) {
        this._password.value = '';
        this._password.focus();
      }
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-page-login': TsPageLogin;
  }
  interface HTMLElementEventMap {
    'ts-login': CustomEvent<LoginEventDetail>;
  }
}
