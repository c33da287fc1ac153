// The Gates page: each barrier's state with open and close, and the command log, each
// line with its cause (followed through context parent ids by the hub).

import { html } from "lit";
import { closeGate, fetchGateLog, gatesOf, openGate } from "../data/gates.js";
import { ago, dateTime } from "../format.js";
import { HubView } from "../view.js";

class PhGates extends HubView {
  static properties = { _log: { state: true }, _error: { state: true }, _busy: { state: true } };

  watches(changed) {
    for (const id of changed) if (id.startsWith("gate.")) return true;
    return false;
  }

  events() {
    return { gate_command: () => this.load() };
  }

  async load() {
    await this.attempt(async () => {
      this._log = await fetchGateLog({ limit: 50 });
    });
  }

  async _command(gate, action) {
    this._busy = gate.entity_id;
    await this.attempt(() => (action === "open" ? openGate(gate.entity_id) : closeGate(gate.entity_id)));
    this._busy = null;
  }

  _gate(gate) {
    const busy = this._busy === gate.entity_id;
    return html`<div class="card gate" data-gate=${gate.entity_id}>
      <div class="row">
        <h2 class="grow" style="margin:0">${gate.name}</h2>
        <span class="badge gate-state" aria-live="polite">${gate.s}</span>
      </div>
      <p class="muted">since ${ago(gate.lc)}${gate.a.last_command ? html` · last command: ${gate.a.last_command}` : ""}</p>
      <div class="row">
        <button @click=${() => this._command(gate, "open")} ?disabled=${busy || gate.s === "open" || gate.s === "opening"}
          aria-label=${`Open ${gate.name}`}>Open</button>
        <button class="secondary" @click=${() => this._command(gate, "close")} ?disabled=${busy || gate.s === "closed" || gate.s === "closing"}
          aria-label=${`Close ${gate.name}`}>Close</button>
      </div>
    </div>`;
  }

  render() {
    const gates = gatesOf(this.entities);
    return html`<h1>Gates</h1>
      ${this._error ? html`<p class="error" role="alert">${this._error}</p>` : ""}
      <div class="fields">${gates.map((gate) => this._gate(gate))}</div>
      <h2>Command log</h2>
      <ol class="card gate-log" style="list-style:none;padding:0.4rem 1rem">
        ${(this._log || []).map(
          (line) => html`<li class="log-line" style="padding:0.45rem 0;border-bottom:1px solid var(--border)">
            <div class="row"><strong>${line.entity_id}</strong><span class="badge">${line.command}</span>
              <span class="muted">${dateTime(line.time)}</span></div>
            <div class="cause">${line.cause}</div>
          </li>`,
        )}
        ${this._log && !this._log.length ? html`<li class="muted">No gate commands yet.</li>` : ""}
      </ol>`;
  }
}

customElements.define("ph-gates", PhGates);
