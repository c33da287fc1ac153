// What every page shares: the hub connection, re-rendering on the states it shows, and
// reloading its REST data when the connection comes back after a drop.

import { LitElement } from "lit";
import { shared } from "./styles.js";

export class HubView extends LitElement {
  static properties = { hub: { attribute: false }, user: { attribute: false } };
  static styles = [shared];

  constructor() {
    super();
    this._unsubscribers = [];
    this._onEntities = (event) => {
      if (this.watches(event.detail)) this.requestUpdate();
    };
    this._onReconnected = () => this.load();
  }

  connectedCallback() {
    super.connectedCallback();
    if (this.hub) {
      this.hub.addEventListener("entities", this._onEntities);
      this.hub.addEventListener("reconnected", this._onReconnected);
      for (const [eventType, callback] of Object.entries(this.events())) {
        this._unsubscribers.push(this.hub.subscribeEvents(eventType, callback));
      }
    }
    this.load();
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    if (this.hub) {
      this.hub.removeEventListener("entities", this._onEntities);
      this.hub.removeEventListener("reconnected", this._onReconnected);
    }
    while (this._unsubscribers.length) this._unsubscribers.pop()();
  }

  get entities() {
    return this.hub ? this.hub.entities : new Map();
  }

  /** Whether a change of these entity ids concerns this page (default: any). */
  watches(_changed) {
    return true;
  }

  /** `{event_type: callback}` this page listens to while it is shown. */
  events() {
    return {};
  }

  /** Fetch the page's REST data (at start and after a reconnect). */
  async load() {}

  /** Run `action`, keeping its error for the page to show. */
  async attempt(action, key = "_error") {
    this[key] = "";
    try {
      return await action();
    } catch (err) {
      this[key] = err.message || String(err);
      return undefined;
    } finally {
      this.requestUpdate();
    }
  }
}
