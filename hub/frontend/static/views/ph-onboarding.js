// The first screen of a new hub: the onboarding code from its log makes the first admin.

import { LitElement, css, html } from "lit";
import { login, onboard } from "../data/auth.js";
import { shared } from "../styles.js";

class PhOnboarding extends LitElement {
  static properties = { _error: { state: true }, _busy: { state: true } };
  static styles = [shared, css`form { max-width: 420px; margin: 2rem auto; } button { margin-top: 1rem; width: 100%; justify-content: center; }`];

  async _submit(event) {
    event.preventDefault();
    const form = new FormData(event.target);
    const [code, username, password] = ["code", "username", "password"].map((key) => form.get(key));
    if (password !== form.get("password2")) {
      this._error = "The two passwords differ.";
      return;
    }
    this._busy = true;
    this._error = "";
    try {
      await onboard(code.trim(), username, password);
      await login(username, password);
      this.dispatchEvent(new CustomEvent("ph-signed-in", { bubbles: true, composed: true }));
    } catch (err) {
      this._error = err.message;
    } finally {
      this._busy = false;
    }
  }

  render() {
    return html`<form class="card" @submit=${this._submit} aria-labelledby="onboarding-title">
      <h1 id="onboarding-title">Welcome to ParkHub</h1>
      <p>Make the first administrator. The onboarding code is in the hub's log
        (the lines <code>parkhub run</code> printed when it started).</p>
      <label for="code">Onboarding code</label>
      <input id="code" name="code" autocomplete="one-time-code" required autofocus>
      <label for="username">Administrator's user name</label>
      <input id="username" name="username" autocomplete="username" required>
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="new-password" required minlength="8">
      <label for="password2">Password again</label>
      <input id="password2" name="password2" type="password" autocomplete="new-password" required minlength="8">
      ${this._error ? html`<p class="error" role="alert">${this._error}</p>` : ""}
      <button type="submit" ?disabled=${this._busy}>Create administrator</button>
    </form>`;
  }
}

customElements.define("ph-onboarding", PhOnboarding);
