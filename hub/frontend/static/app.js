// <ph-app>: the shell. Who is signed in, the navigation their role allows, the one
// WebSocket, the offline banner, and the page the URL names (loaded on first use).

import { LitElement, css, html } from "lit";
import { HubConnection } from "./connection.js";
import { fetchSession, logout, needsOnboarding } from "./data/auth.js";
import { fetchNotifications } from "./data/notify.js";
import { freeSpaces, lastSeenFree, rememberFree } from "./data/occupancy.js";
import { homeFor, mayOpen, pagesFor } from "./data/roles.js";
import { time } from "./format.js";
import { shared } from "./styles.js";

const VIEWS = {
  "/lot": ["ph-lot", () => import("./views/ph-lot.js")],
  "/home": ["ph-home", () => import("./views/ph-home.js")],
  "/cameras": ["ph-cameras", () => import("./views/ph-cameras.js")],
  "/gates": ["ph-gates", () => import("./views/ph-gates.js")],
  "/plates": ["ph-plates", () => import("./views/ph-plates.js")],
  "/sessions": ["ph-sessions", () => import("./views/ph-sessions.js")],
  "/notifications": ["ph-notifications", () => import("./views/ph-notifications.js")],
  "/login": ["ph-login", () => import("./views/ph-login.js")],
  "/onboarding": ["ph-onboarding", () => import("./views/ph-onboarding.js")],
};

class PhApp extends LitElement {
  static properties = {
    _user: { state: true },
    _path: { state: true },
    _status: { state: true },
    _ready: { state: true },
    _unread: { state: true },
    _loaded: { state: true },
    _hubDown: { state: true },
  };

  static styles = [
    shared,
    css`
      :host { min-height: 100vh; display: flex; flex-direction: column; }
      header { background: var(--nav); color: var(--on-nav); padding: 0.3rem 0.75rem 0; }
      .top { display: flex; align-items: center; gap: 0.5rem; min-height: 44px; }
      .brand { font-weight: 700; font-size: 1.15rem; margin-right: auto; color: var(--on-nav); text-decoration: none; }
      nav ul { list-style: none; margin: 0; padding: 0 0 0.3rem; display: flex; flex-wrap: wrap; gap: 0.15rem; }
      nav a {
        display: inline-flex; align-items: center; min-height: 44px; padding: 0 0.7rem;
        color: var(--on-nav); text-decoration: none; border-radius: 6px;
      }
      nav a[aria-current="page"] { background: var(--nav-active); font-weight: 700; }
      nav a:focus-visible, header a:focus-visible, header button:focus-visible { outline: 3px solid #ffffff; outline-offset: -3px; }
      .count { background: #ffffff; color: #0b2e55; border-radius: 999px; padding: 0 0.45rem; margin-left: 0.3rem; font-size: 0.8rem; font-weight: 700; }
      header button, header button.secondary { background: transparent; border-color: var(--on-nav); color: var(--on-nav); min-height: 40px; }
      .user { font-size: 0.9rem; }
      main:focus { outline: none; }
      main { padding: 0.9rem; max-width: 1200px; width: 100%; min-width: 0; box-sizing: border-box; margin: 0 auto; flex: 1; }
      @media (min-width: 900px) {
        header { display: flex; align-items: center; gap: 1rem; padding-bottom: 0.3rem; }
        .top { display: contents; }
        .brand { margin-right: 0; }
        nav { order: 1; margin-right: auto; }
        nav ul { padding: 0; }
        .user, header button { order: 2; }
      }
      .banner { background: var(--banner); color: var(--on-banner); padding: 0.6rem 0.9rem; font-weight: 600; }
    `,
  ];

  constructor() {
    super();
    this.hub = null;
    this._user = null;
    this._path = location.pathname;
    this._status = "connecting";
    this._ready = false;
    this._unread = 0;
    this._loaded = new Set();
    this._hubDown = false;
    window.addEventListener("popstate", () => this._go(location.pathname, false));
    this.addEventListener("click", (event) => this._onClick(event));
    this.addEventListener("ph-navigate", (event) => this._go(event.detail));
    this.addEventListener("ph-signed-in", () => this._start());
  }

  connectedCallback() {
    super.connectedCallback();
    this._start();
    if ("serviceWorker" in navigator && location.protocol !== "file:") {
      navigator.serviceWorker.register("/sw.js").catch(() => {});
    }
  }

  async _start() {
    let user;
    try {
      user = await fetchSession();
      this._hubDown = false;
    } catch {
      // Unreachable: the shell came from the service worker. Try again shortly.
      this._hubDown = true;
      this._ready = true;
      setTimeout(() => this._start(), 3000);
      return;
    }
    this._user = user;
    const path = location.pathname;
    if (!user) {
      // Where the user was going: there, once signed in.
      if (path in VIEWS && path !== "/login" && path !== "/onboarding") this._wanted = path;
      this._disconnect();
      this._ready = true;
      this._go((await needsOnboarding()) ? "/onboarding" : "/login", true, true);
      return;
    }
    this._connect();
    this._ready = true;
    const wanted = this._wanted || path;
    this._wanted = null;
    this._go(wanted === "/" || wanted === "/login" || wanted === "/onboarding" ? homeFor(user.role) : wanted, true, true);
    this._refreshUnread();
  }

  _connect() {
    if (this.hub) return;
    const hub = new HubConnection();
    this.hub = hub;
    hub.addEventListener("status", () => {
      this._status = hub.status;
      if (hub.status === "unauthorized") this._signedOut();
    });
    hub.addEventListener("entities", () => rememberFree(freeSpaces(hub.entities)));
    hub.addEventListener("reconnected", () => this._refreshUnread());
    hub.subscribeEvents("notification_sent", () => this._refreshUnread());
    hub.connect();
  }

  _disconnect() {
    if (this.hub) this.hub.close();
    this.hub = null;
  }

  _signedOut() {
    this._disconnect();
    this._user = null;
    this._go("/login", true, true);
  }

  async _refreshUnread() {
    try {
      this._unread = (await fetchNotifications()).unread;
    } catch {
      /* not allowed or away: no badge */
    }
  }

  _onClick(event) {
    const link = event.composedPath().find((node) => node.tagName === "A");
    if (!link || link.target || link.origin !== location.origin || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || link.hasAttribute("download")) return;
    if (!(link.pathname in VIEWS)) return;
    event.preventDefault();
    this._go(link.pathname);
  }

  async _go(path, push = true, replace = false) {
    if (!(path in VIEWS)) path = this._user ? homeFor(this._user.role) : "/login";
    if (push && path !== location.pathname) {
      if (replace) history.replaceState(null, "", path);
      else history.pushState(null, "", path);
    }
    this._path = path;
    const [tag, load] = VIEWS[path];
    if (!this._loaded.has(tag)) {
      await load();
      this._loaded = new Set([...this._loaded, tag]);
    }
    const page = pagesFor(this._user?.role).find((item) => item.path === path);
    document.title = page ? `${page.label} · ParkHub` : "ParkHub";
    if (push && !replace) {
      // A new page: keyboard and screen-reader users start at its content, not the menu.
      await this.updateComplete;
      this.renderRoot.querySelector("main")?.focus({ preventScroll: true });
    }
  }

  async _logout() {
    try {
      await logout();
    } finally {
      this._signedOut();
    }
  }

  _banner() {
    if (!(this._hubDown || this._status === "offline")) return "";
    const last = lastSeenFree();
    const since = this.hub?.offlineSince;
    return html`<div class="banner" role="status" aria-live="polite">
      The hub is unreachable${since ? html` since ${time(since)}` : ""}; reconnecting…
      ${last ? html` Last seen: <strong>${last.free} free</strong> at ${time(last.at / 1000)}.` : ""}
    </div>`;
  }

  _view() {
    const path = this._path;
    const [tag] = VIEWS[path] || [];
    if (!tag || !this._loaded.has(tag)) return html`<p class="muted">Loading…</p>`;
    if (path === "/login") return html`<ph-login></ph-login>`;
    if (path === "/onboarding") return html`<ph-onboarding></ph-onboarding>`;
    if (!this._user) return html`<p class="muted">Loading…</p>`;
    if (!mayOpen(this._user.role, path)) {
      return html`<div class="card" role="alert">
        <h1>Not available</h1>
        <p>This page is for lot staff. <a href=${homeFor(this._user.role)}>Back to your home page</a>.</p>
      </div>`;
    }
    const props = { hub: this.hub, user: this._user };
    switch (tag) {
      case "ph-lot": return html`<ph-lot .hub=${props.hub} .user=${props.user}></ph-lot>`;
      case "ph-home": return html`<ph-home .hub=${props.hub} .user=${props.user}></ph-home>`;
      case "ph-cameras": return html`<ph-cameras .hub=${props.hub} .user=${props.user}></ph-cameras>`;
      case "ph-gates": return html`<ph-gates .hub=${props.hub} .user=${props.user}></ph-gates>`;
      case "ph-plates": return html`<ph-plates .hub=${props.hub} .user=${props.user}></ph-plates>`;
      case "ph-sessions": return html`<ph-sessions .hub=${props.hub} .user=${props.user}></ph-sessions>`;
      case "ph-notifications": return html`<ph-notifications .hub=${props.hub} .user=${props.user}></ph-notifications>`;
      default: return "";
    }
  }

  render() {
    if (!this._ready) return html`<main><p class="muted">Loading…</p></main>`;
    const user = this._user;
    return html`
      <header>
        <div class="top">
          <a class="brand" href=${user ? homeFor(user.role) : "/login"}>ParkHub</a>
          ${user
            ? html`<span class="user">${user.user} (${user.role})</span>
                <button class="secondary" @click=${this._logout}>Sign out</button>`
            : ""}
        </div>
        ${user
          ? html`<nav aria-label="Pages"><ul>
              ${pagesFor(user.role).map(
                (page) => html`<li><a href=${page.path} aria-current=${page.path === this._path ? "page" : "false"}>${page.label}${
                  page.path === "/notifications" && this._unread
                    ? html`<span class="count"><span class="visually-hidden">, unread: </span>${this._unread}</span>`
                    : ""
                }</a></li>`,
              )}
            </ul></nav>`
          : ""}
      </header>
      ${this._banner()}
      <main id="main" tabindex="-1">${this._view()}</main>
    `;
  }
}

customElements.define("ph-app", PhApp);
