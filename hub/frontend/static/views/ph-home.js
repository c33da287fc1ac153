// The resident's home: free spaces now, my vehicles, my session and its fee so far, my
// past sessions, and reserving a space (a clash is shown as the hub words it).

import { html } from "lit";
import { fetchLots, freeSpaces } from "../data/occupancy.js";
import {
  cancelReservation,
  fetchReservations,
  fetchSessions,
  liveFee,
  reserve,
} from "../data/parking.js";
import { dateTime, duration, money } from "../format.js";
import { HubView } from "../view.js";
import { freeCard } from "./ph-lot.js";
import "./ph-lot-map.js";

function localInput(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

class PhHome extends HubView {
  static properties = {
    _sessions: { state: true },
    _reservations: { state: true },
    _lots: { state: true },
    _error: { state: true },
    _reserveError: { state: true },
    _notice: { state: true },
  };

  watches(changed) {
    for (const id of changed) if (id.startsWith("sensor.") || id.startsWith("binary_sensor.")) return true;
    return false;
  }

  events() {
    const reload = () => this._loadMine();
    return { parking_session_started: reload, parking_session_ended: reload, parking_reservations_changed: reload };
  }

  async load() {
    this.attempt(async () => {
      this._lots = await fetchLots();
    });
    await this._loadMine();
  }

  async _loadMine() {
    await this.attempt(async () => {
      [this._sessions, this._reservations] = await Promise.all([
        fetchSessions({ limit: 20 }),
        fetchReservations({ active: 1 }),
      ]);
    });
  }

  get _vehicles() {
    return this.user?.vehicles || [];
  }

  async _reserve(event) {
    event.preventDefault();
    const form = new FormData(event.target);
    const data = {
      plate: form.get("plate"),
      start: new Date(form.get("start")).toISOString(),
      end: new Date(form.get("end")).toISOString(),
    };
    if (form.get("slot")) data.slot = form.get("slot");
    this._notice = "";
    const done = await this.attempt(() => reserve(data), "_reserveError");
    if (done !== undefined) {
      this._notice = "Reserved.";
      this._loadMine();
    }
  }

  async _cancel(reservation) {
    await this.attempt(() => cancelReservation(reservation.id), "_reserveError");
    this._loadMine();
  }

  _reserveForm() {
    const now = new Date(Date.now() + 5 * 60000);
    const later = new Date(now.getTime() + 2 * 3600000);
    const vehicles = this._vehicles;
    const slots = (this._lots || []).flatMap((lot) => lot.slots.map((slot) => slot.id));
    return html`<form class="card reserve" @submit=${this._reserve} aria-labelledby="reserve-title">
      <h2 id="reserve-title" style="margin-top:0">Reserve a space</h2>
      <div class="fields" style="grid-template-columns:repeat(auto-fit,minmax(220px,1fr))">
        <div><label for="r-plate">Vehicle</label>
          ${vehicles.length
            ? html`<select id="r-plate" name="plate" required>${vehicles.map((plate) => html`<option>${plate}</option>`)}</select>`
            : html`<input id="r-plate" name="plate" required maxlength="16" placeholder="Your plate">`}
        </div>
        <div><label for="r-slot">Space (optional)</label>
          <select id="r-slot" name="slot"><option value="">any free space</option>${slots.map((slot) => html`<option>${slot}</option>`)}</select>
        </div>
        <div><label for="r-start">From</label><input id="r-start" name="start" type="datetime-local" required .value=${localInput(now)}></div>
        <div><label for="r-end">Until</label><input id="r-end" name="end" type="datetime-local" required .value=${localInput(later)}></div>
      </div>
      ${this._reserveError ? html`<p class="error" role="alert">${this._reserveError}</p>` : ""}
      ${this._notice ? html`<p class="ok" role="status">${this._notice}</p>` : ""}
      <div class="row" style="margin-top:0.75rem"><button type="submit">Reserve</button></div>
    </form>`;
  }

  render() {
    const sessions = this._sessions || [];
    const active = sessions.filter((session) => session.status === "open");
    const past = sessions.filter((session) => session.status !== "open");
    const reservations = (this._reservations || []).filter((item) => item.status === "booked");
    return html`<h1>Hello ${this.user?.user}</h1>
      <div class="row" style="align-items:stretch">${freeSpaces(this.entities).map((space) => html`<div class="grow">${freeCard(space)}</div>`)}</div>
      ${this._error ? html`<p class="error" role="alert">${this._error}</p>` : ""}
      <section class="card" aria-labelledby="vehicles-title">
        <h2 id="vehicles-title" style="margin-top:0">My vehicles</h2>
        ${this._vehicles.length
          ? html`<ul>${this._vehicles.map((plate) => html`<li><strong>${plate}</strong></li>`)}</ul>`
          : html`<p class="muted">No vehicles yet: ask the lot's staff to add your plate.</p>`}
      </section>
      <section class="card my-session" aria-labelledby="session-title">
        <h2 id="session-title" style="margin-top:0">Parked now</h2>
        ${active.length
          ? active.map((session) => html`<p class="session" data-session=${session.id}><strong>${session.plate}</strong>
              in since ${dateTime(session.entry_time)} (${duration((Date.now() - Date.parse(session.entry_time)) / 1000)});
              fee so far <strong>${money(liveFee(session), session.currency)}</strong></p>`)
          : html`<p class="muted">None of your vehicles is in the lot.</p>`}
      </section>
      ${this._reserveForm()}
      <section class="card" aria-labelledby="reservations-title">
        <h2 id="reservations-title" style="margin-top:0">My reservations</h2>
        ${reservations.length
          ? html`<ul style="list-style:none;padding:0">${reservations.map((item) => html`<li class="row" style="padding:0.3rem 0">
              <span class="grow"><strong>${item.plate}</strong> ${item.slot ? `space ${item.slot}` : "any space"},
                ${dateTime(item.start)} – ${dateTime(item.end)}</span>
              <button class="secondary" @click=${() => this._cancel(item)} aria-label=${`Cancel reservation for ${item.plate} from ${dateTime(item.start)}`}>Cancel</button>
            </li>`)}</ul>`
          : html`<p class="muted">No reservations.</p>`}
      </section>
      ${(this._lots || []).map((lot) => html`<section class="card" aria-label=${`Lot ${lot.lot}`}>
        <h2 style="margin-top:0">The lot now</h2>
        <p class="muted">Tap a space to see it.</p>
        <ph-lot-map .lot=${lot} .entities=${this.entities} .reservations=${this._reservations}></ph-lot-map>
      </section>`)}
      <section class="card" aria-labelledby="past-title">
        <h2 id="past-title" style="margin-top:0">Past sessions</h2>
        ${past.length
          ? html`<div class="table-wrap"><table><thead><tr><th scope="col">Plate</th><th scope="col">In</th><th scope="col">Out</th><th scope="col">Fee</th></tr></thead>
              <tbody>${past.map((session) => html`<tr><td>${session.plate}</td><td>${dateTime(session.entry_time)}</td>
                <td>${dateTime(session.exit_time)}</td><td>${money(session.fee, session.currency)}${session.paid ? " (paid)" : ""}</td></tr>`)}</tbody></table></div>`
          : html`<p class="muted">No past sessions.</p>`}
      </section>`;
  }

  updated() {
    for (const map of this.renderRoot.querySelectorAll("ph-lot-map")) map.requestUpdate();
  }
}

customElements.define("ph-home", PhHome);
