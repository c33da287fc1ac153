// The Notifications page: the panel's notifications, unread first, arriving live.

import { html } from "lit";
import { fetchNotifications, markAllRead, markRead, markUnread } from "../data/notify.js";
import { dateTime } from "../format.js";
import { HubView } from "../view.js";

class PhNotifications extends HubView {
  static properties = { _items: { state: true }, _error: { state: true } };

  watches() {
    return false;
  }

  events() {
    return { notification_sent: () => this.load() };
  }

  async load() {
    await this.attempt(async () => {
      this._items = (await fetchNotifications()).notifications;
    });
  }

  async _toggle(item) {
    await this.attempt(() => (item.read ? markUnread(item.id) : markRead(item.id)));
    this.load();
  }

  async _allRead() {
    await this.attempt(() => markAllRead());
    this.load();
  }

  render() {
    const items = this._items || [];
    const unread = items.filter((item) => !item.read).length;
    return html`<div class="row"><h1 class="grow">Notifications</h1>
        <button class="secondary" @click=${this._allRead} ?disabled=${!unread}>Mark all read</button></div>
      ${this._error ? html`<p class="error" role="alert">${this._error}</p>` : ""}
      <p class="muted" aria-live="polite">${unread} unread</p>
      ${items.length
        ? html`<ul style="list-style:none;padding:0">${items.map((item) => html`<li class="card" style=${item.read ? "" : "border-left:5px solid var(--accent)"}>
            <div class="row">
              <strong class="grow">${item.read ? "" : html`<span class="visually-hidden">Unread: </span>`}${item.title || "Notification"}</strong>
              <span class="muted">${dateTime(item.created ?? item.time)}</span>
            </div>
            <p>${item.message}</p>
            <button class="secondary" @click=${() => this._toggle(item)}>${item.read ? "Mark unread" : "Mark read"}</button>
          </li>`)}</ul>`
        : html`<p class="muted">Nothing here yet.</p>`}`;
  }
}

customElements.define("ph-notifications", PhNotifications);
