// The sign-in form (issue 13's password login; the hub sets the session cookie).

import { LitElement, css, html } from "lit";
import { login } from "../data/auth.js";
import { shared } from "../styles.js";

class PhLogin extends LitElement {
  static properties = { _error: { state: true }, _busy: { state: true } };
  static styles = [shared, css`form { max-width: 380px; margin: 2rem auto; } button { margin-top: 1rem; width: 100%; justify-content: center; }`];

  async _submit(event) {
    event.preventDefault();
    const form = new FormData(event.target);
    this._busy = true;
    this._error = "";
    try {
      await login(form.get("username"), form.get("password"));
      this.dispatchEvent(new CustomEvent("ph-signed-in", { bubbles: true, composed: true }));
    } catch (err) {
      this._error = err.message;
    } finally {
      this._busy = false;
    }
  }

  render() {
    return html`<form class="card" @submit=${this._submit} aria-labelledby="login-title">
      <h1 id="login-title">Sign in</h1>
      <label for="username">User name</label>
      <input id="username" name="username" autocomplete="username" required autofocus>
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required>
      ${this._error ? html`<p class="error" role="alert">${this._error}</p>` : ""}
      <button type="submit" ?disabled=${this._busy}>Sign in</button>
    </form>`;
  }
}

customElements.define("ph-login", PhLogin);
