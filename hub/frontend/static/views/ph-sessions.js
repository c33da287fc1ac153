// The Sessions page: cars inside with their fee running, the history with filters and a
// CSV of what they show, ending a session, recording a payment, and anomalies.

import { html } from "lit";
import {
  acknowledgeAnomaly,
  csvUrl,
  endSession,
  fetchAnomalies,
  fetchSessions,
  liveFee,
  recordPayment,
} from "../data/parking.js";
import { dateTime, duration, money } from "../format.js";
import { HubView } from "../view.js";

const FEE_REFRESH_MS = 30000;

class PhSessions extends HubView {
  static properties = {
    _active: { state: true },
    _history: { state: true },
    _anomalies: { state: true },
    _filters: { state: true },
    _error: { state: true },
    _now: { state: true },
  };

  constructor() {
    super();
    this._filters = { limit: 100 };
    this._now = Date.now();
  }

  connectedCallback() {
    super.connectedCallback();
    // Fees move with time: fetch them again now and then, and the durations tick.
    this._timer = setInterval(() => {
      this._now = Date.now();
      if (Math.round(this._now / 1000) % (FEE_REFRESH_MS / 1000) < 5) this._loadActive();
    }, 5000);
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    clearInterval(this._timer);
  }

  watches() {
    return false;
  }

  events() {
    const reload = () => this.load();
    return {
      parking_session_started: reload,
      parking_session_ended: reload,
      anomaly: () => this._loadAnomalies(),
      parking_anomaly_acknowledged: () => this._loadAnomalies(),
    };
  }

  async load() {
    await Promise.all([this._loadActive(), this._loadHistory(), this._loadAnomalies()]);
  }

  async _loadActive() {
    await this.attempt(async () => {
      this._active = await fetchSessions({ status: "open", limit: 200 });
    });
  }

  async _loadHistory() {
    await this.attempt(async () => {
      this._history = await fetchSessions(this._filters);
    });
  }

  async _loadAnomalies() {
    try {
      this._anomalies = await fetchAnomalies();
    } catch {
      this._anomalies = [];
    }
  }

  _search(event) {
    event.preventDefault();
    const form = new FormData(event.target);
    const filters = { limit: 100 };
    for (const key of ["plate", "lot", "from", "to", "status"]) {
      const value = String(form.get(key) || "").trim();
      if (value) filters[key] = value;
    }
    this._filters = filters;
    this._loadHistory();
  }

  async _end(session) {
    if (!confirm(`End the session of ${session.plate} now?`)) return;
    await this.attempt(() => endSession(session.id));
    this.load();
  }

  async _pay(session, event) {
    event.preventDefault();
    const method = new FormData(event.target).get("method");
    await this.attempt(() => recordPayment(session.id, method));
    this.load();
  }

  async _acknowledge(anomaly) {
    await this.attempt(() => acknowledgeAnomaly(anomaly.id));
    this._loadAnomalies();
  }

  _payForm(session) {
    if (session.paid) return html`<span class="badge">paid ${money(session.paid_amount, session.currency)}</span>`;
    return html`<form class="row" @submit=${(event) => this._pay(session, event)}>
      <label class="visually-hidden" for=${`method-${session.id}`}>Payment method for ${session.plate}</label>
      <select id=${`method-${session.id}`} name="method" style="width:auto">
        <option value="cash">cash</option><option value="card">card</option><option value="online">online</option>
      </select>
      <button type="submit" class="secondary" aria-label=${`Record payment for ${session.plate}`}>Paid</button>
    </form>`;
  }

  _activeTable() {
    const sessions = this._active || [];
    return html`<div class="card table-wrap">
      <table class="active-sessions">
        <caption class="visually-hidden">Cars inside now</caption>
        <thead><tr><th scope="col">Plate</th><th scope="col">In since</th><th scope="col">Fee so far</th><th scope="col">Actions</th></tr></thead>
        <tbody>${sessions.map((session) => html`<tr data-session=${session.id}>
          <td><strong class="plate">${session.plate}</strong><br><span class="muted">${session.lot}${session.list ? ` · ${session.list}` : ""}</span></td>
          <td>${dateTime(session.entry_time)}<br><span class="muted">${duration((this._now - Date.parse(session.entry_time)) / 1000)}</span></td>
          <td class="fee">${money(liveFee(session), session.currency)}</td>
          <td class="row">
            <button class="danger" @click=${() => this._end(session)} aria-label=${`End session of ${session.plate}`}>End</button>
            ${this._payForm(session)}
          </td>
        </tr>`)}</tbody>
      </table>
      ${this._active && !sessions.length ? html`<p class="muted">No cars inside.</p>` : ""}
    </div>`;
  }

  _historyPanel() {
    const f = this._filters;
    return html`<form class="card" @submit=${this._search} aria-label="Search sessions">
      <div class="fields">
        <div><label for="f-plate">Plate</label><input id="f-plate" name="plate" .value=${f.plate || ""} maxlength="16"></div>
        <div><label for="f-lot">Lot</label><input id="f-lot" name="lot" .value=${f.lot || ""}></div>
        <div><label for="f-from">From</label><input id="f-from" name="from" type="date" .value=${f.from || ""}></div>
        <div><label for="f-to">To</label><input id="f-to" name="to" type="date" .value=${f.to || ""}></div>
        <div><label for="f-status">Status</label><select id="f-status" name="status">
          ${["", "open", "closed", "paid", "unpaid"].map(
            (status) => html`<option value=${status} ?selected=${f.status === status}>${status || "any"}</option>`,
          )}
        </select></div>
      </div>
      <div class="row" style="margin-top:0.75rem">
        <button type="submit">Search</button>
        <a class="button secondary" href=${csvUrl(f)} download="sessions.csv">Export CSV</a>
      </div>
    </form>
    <div class="card table-wrap">
      <table class="history">
        <caption class="visually-hidden">Sessions found</caption>
        <thead><tr><th scope="col">Plate</th><th scope="col">Entry</th><th scope="col">Exit</th><th scope="col">Fee</th><th scope="col">Status</th></tr></thead>
        <tbody>${(this._history || []).map((session) => html`<tr>
          <td><strong>${session.plate}</strong></td>
          <td>${dateTime(session.entry_time)}</td>
          <td>${session.exit_time ? dateTime(session.exit_time) : "inside"}</td>
          <td>${money(session.fee ?? session.fee_so_far, session.currency)}</td>
          <td>${session.status}${session.paid ? " · paid" : session.status === "closed" ? " · unpaid" : ""}</td>
        </tr>`)}</tbody>
      </table>
      ${this._history && !this._history.length ? html`<p class="muted">No sessions match.</p>` : ""}
    </div>`;
  }

  _anomalyList() {
    const anomalies = this._anomalies || [];
    if (!anomalies.length) return html`<p class="muted">No anomalies in the last week.</p>`;
    return html`<ul class="card" style="list-style:none;padding-left:1rem">${anomalies.map(
      (anomaly) => html`<li class="row" style="padding:0.35rem 0;border-bottom:1px solid var(--border)">
        <span class="grow"><strong>${anomaly.kind.replaceAll("_", " ")}</strong> ${anomaly.plate || ""}
          <span class="muted">${dateTime(anomaly.time)} · ${anomaly.lot}</span></span>
        ${anomaly.acknowledged
          ? html`<span class="muted">seen${anomaly.acknowledged.user ? ` by ${anomaly.acknowledged.user}` : ""}</span>`
          : html`<button class="secondary" @click=${() => this._acknowledge(anomaly)}
              aria-label=${`Acknowledge ${anomaly.kind} ${anomaly.plate || ""}`}>Acknowledge</button>`}
      </li>`,
    )}</ul>`;
  }

  render() {
    return html`<h1>Sessions</h1>
      ${this._error ? html`<p class="error" role="alert">${this._error}</p>` : ""}
      <h2>Inside now (${(this._active || []).length})</h2>
      ${this._activeTable()}
      <h2>History</h2>
      ${this._historyPanel()}
      <h2>Anomalies</h2>
      ${this._anomalyList()}`;
  }
}

customElements.define("ph-sessions", PhSessions);
