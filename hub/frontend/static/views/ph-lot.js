// The Lot page: free counts per lot and slot group, and each lot's map.

import { css, html } from "lit";
import { atLeast } from "../data/roles.js";
import { fetchLots, freeSpaces } from "../data/occupancy.js";
import { fetchReservations } from "../data/parking.js";
import { time } from "../format.js";
import { HubView } from "../view.js";
import "./ph-lot-map.js";

export function freeCard(space) {
  return html`<div class="card free-card" data-lot=${space.lot}>
    <div class="muted">Free spaces · ${space.lot}</div>
    <div class="big" aria-live="polite"><span class="free-count">${space.free ?? "—"}</span>
      <span class="muted" style="font-size:1rem">free of ${space.total ?? "?"}</span></div>
    <div class="muted">${space.occupied ?? 0} occupied · ${space.reserved ?? 0} reserved · at ${time(space.since)}</div>
    ${space.groups
      ? html`<div class="row" style="margin-top:0.3rem">${Object.entries(space.groups).map(
          ([group, free]) => html`<span class="badge">${group}: ${free} free</span>`,
        )}</div>`
      : ""}
  </div>`;
}

class PhLot extends HubView {
  static properties = { _lots: { state: true }, _reservations: { state: true }, _error: { state: true } };
  static styles = [
    HubView.styles,
    css`
      @media (min-width: 900px) {
        .layout { display: grid; grid-template-columns: minmax(0, 3fr) minmax(240px, 1fr); gap: 0.9rem; align-items: start; }
        aside { grid-column: 2; grid-row: 1; }
        .maps { grid-column: 1; grid-row: 1; }
      }
    `,
  ];

  watches(changed) {
    for (const id of changed) if (id.startsWith("binary_sensor.") || id.startsWith("sensor.")) return true;
    return false;
  }

  events() {
    return { parking_reservations_changed: () => this._loadReservations() };
  }

  async load() {
    await this.attempt(async () => {
      this._lots = await fetchLots();
    });
    this._loadReservations();
  }

  async _loadReservations() {
    try {
      this._reservations = await fetchReservations({ active: 1 });
    } catch {
      this._reservations = [];
    }
  }

  render() {
    const spaces = freeSpaces(this.entities);
    const staff = atLeast(this.user?.role, "operator");
    return html`<h1>Lot</h1>
      ${this._error ? html`<p class="error" role="alert">${this._error}</p>` : ""}
      <div class="layout">
        <aside aria-label="Free spaces">${spaces.map((space) => freeCard(space))}</aside>
        <div class="maps">${(this._lots || []).map(
          (lot) => html`<section class="card" aria-label=${`Map of lot ${lot.lot}`}>
            <ph-lot-map .lot=${lot} .entities=${this.entities} .reservations=${this._reservations}
              ?frame=${staff} data-lot=${lot.lot}></ph-lot-map>
          </section>`,
        )}</div>
      </div>`;
  }

  updated() {
    // The maps read the same Map object: tell them it changed.
    for (const map of this.renderRoot.querySelectorAll("ph-lot-map")) map.requestUpdate();
  }
}

customElements.define("ph-lot", PhLot);
