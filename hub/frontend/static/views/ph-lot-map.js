// <ph-lot-map>: the lot's spaces drawn over its camera's latest frame (or a plain plan),
// coloured free / occupied / reserved / unavailable; each space is a button that opens
// its details. Used by the Lot page and the resident's home.

import { LitElement, css, html, svg } from "lit";
import { STATUS_LABEL, slotStatus } from "../data/occupancy.js";
import { ago, dateTime, percent } from "../format.js";
import { shared } from "../styles.js";

const FRAME_REFRESH_MS = 10000;

class PhLotMap extends LitElement {
  static properties = {
    lot: { attribute: false },
    entities: { attribute: false },
    reservations: { attribute: false },
    frame: { type: Boolean },
    _selected: { state: true },
    _frameTick: { state: true },
  };

  static styles = [
    shared,
    css`
      figure { margin: 0; }
      svg { width: 100%; height: auto; display: block; border-radius: 8px; background: var(--surface); }
      .plan { fill: var(--bg); stroke: var(--border); }
      .slot polygon { stroke: #ffffff; stroke-width: 3; cursor: pointer; }
      svg.framed .slot polygon { fill-opacity: 0.6; }
      .slot.free polygon { fill: var(--free); }
      .slot.occupied polygon { fill: var(--occupied); }
      .slot.reserved polygon { fill: var(--reserved); }
      .slot.unavailable polygon { fill: var(--unavailable); }
      .slot.selected polygon { stroke: var(--focus); stroke-width: 8; }
      .slot:focus { outline: none; }
      .slot:focus-visible polygon { stroke: var(--focus); stroke-width: 10; }
      .slot text { fill: #ffffff; font: 700 26px system-ui, sans-serif; pointer-events: none; paint-order: stroke; stroke: #00000099; stroke-width: 4px; }
      .slot text.mark { font-size: 40px; }
      .legend { display: flex; flex-wrap: wrap; gap: 0.4rem 0.9rem; margin: 0.5rem 0; padding: 0; list-style: none; }
      dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 0.9rem; margin: 0.4rem 0; }
      dt { color: var(--muted); }
      dd { margin: 0; }
    `,
  ];

  constructor() {
    super();
    this.reservations = [];
    this._frameTick = Date.now();
  }

  connectedCallback() {
    super.connectedCallback();
    this._timer = setInterval(() => {
      if (this.frame && document.visibilityState === "visible") this._frameTick = Date.now();
    }, FRAME_REFRESH_MS);
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    clearInterval(this._timer);
  }

  _select(slot) {
    this._selected = this._selected === slot.id ? null : slot.id;
  }

  _key(event, slot) {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      this._select(slot);
    }
  }

  _slot(slot) {
    const entity = this.entities.get(slot.entity_id);
    const status = slotStatus(entity);
    const points = slot.polygon.map(([x, y]) => `${x},${y}`).join(" ");
    const cx = slot.polygon.reduce((sum, [x]) => sum + x, 0) / slot.polygon.length;
    const cy = slot.polygon.reduce((sum, [, y]) => sum + y, 0) / slot.polygon.length;
    const mark = { occupied: "✕", reserved: "R", unavailable: "?" }[status] || "";
    const selected = this._selected === slot.id;
    return svg`<g class="slot ${status} ${selected ? "selected" : ""}" data-slot=${slot.id}
        data-status=${status} tabindex="0" role="button" aria-pressed=${selected ? "true" : "false"}
        aria-label=${`Space ${slot.id}: ${STATUS_LABEL[status]}`}
        @click=${() => this._select(slot)} @keydown=${(event) => this._key(event, slot)}>
      <polygon points=${points}></polygon>
      <text x=${cx} y=${cy - 8} text-anchor="middle">${slot.id}</text>
      ${mark ? svg`<text class="mark" x=${cx} y=${cy + 34} text-anchor="middle">${mark}</text>` : ""}
    </g>`;
  }

  _details() {
    const slot = this.lot.slots.find((item) => item.id === this._selected);
    if (!slot) return "";
    const entity = this.entities.get(slot.entity_id);
    const status = slotStatus(entity);
    const since = entity?.a?.since || (entity ? entity.lc : null);
    const reservation = (this.reservations || []).find(
      (item) => item.slot === slot.id && item.lot === this.lot.lot,
    );
    return html`<section class="card" aria-live="polite" aria-label=${`Space ${slot.id}`}>
      <h2>Space ${slot.id}</h2>
      <dl>
        <dt>State</dt><dd><span class="badge ${status}">${STATUS_LABEL[status]}</span></dd>
        <dt>Since</dt><dd>${since ? html`${dateTime(since)} (${ago(since)})` : "—"}</dd>
        <dt>Plate</dt><dd>${entity?.a?.plate || "not known"}</dd>
        ${slot.group ? html`<dt>Group</dt><dd>${slot.group}</dd>` : ""}
        <dt>Reservation</dt><dd>${
          reservation
            ? html`${reservation.plate}, ${dateTime(reservation.start)} – ${dateTime(reservation.end)}`
            : entity?.a?.reserved ? "reserved" : "none"
        }</dd>
        ${entity?.a?.confidence !== undefined ? html`<dt>Confidence</dt><dd>${percent(entity.a.confidence)}</dd>` : ""}
      </dl>
    </section>`;
  }

  render() {
    const lot = this.lot;
    if (!lot) return "";
    const { width, height } = lot;
    // With no picture under it, the plan shows only the spaces (and a margin), larger.
    const [x0, y0, x1, y1] = this.frame ? [0, 0, width, height] : bounds(lot.slots, width, height);
    const frameUrl = `/api/camera/${lot.camera}/snapshot.jpg?t=${this._frameTick}`;
    return html`<figure>
      <svg class=${this.frame ? "framed" : "plan"} viewBox="${x0} ${y0} ${x1 - x0} ${y1 - y0}" role="group" aria-label=${`Map of lot ${lot.name || lot.lot}`}>
        ${this.frame && lot.camera
          ? svg`<image href=${frameUrl} x="0" y="0" width=${width} height=${height} preserveAspectRatio="none"></image>`
          : svg`<rect class="plan" x=${x0} y=${y0} width=${x1 - x0} height=${y1 - y0}></rect>`}
        ${lot.slots.map((slot) => this._slot(slot))}
      </svg>
      <figcaption>
        <ul class="legend" aria-label="Colours">
          ${["free", "occupied", "reserved", "unavailable"].map(
            (status) => html`<li><span class="badge ${status}">${STATUS_LABEL[status]}</span></li>`,
          )}
        </ul>
      </figcaption>
    </figure>
    ${this._details()}`;
  }
}

function bounds(slots, width, height) {
  const xs = slots.flatMap((slot) => slot.polygon.map(([x]) => x));
  const ys = slots.flatMap((slot) => slot.polygon.map(([, y]) => y));
  if (!xs.length) return [0, 0, width, height];
  const margin = 0.04 * Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys));
  return [Math.min(...xs) - margin, Math.min(...ys) - margin, Math.max(...xs) + margin, Math.max(...ys) + margin];
}

customElements.define("ph-lot-map", PhLotMap);
