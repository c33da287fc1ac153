// The Plates page: recent reads with their crop, confidence, direction and list; put a
// plate on a list, or fix a misread (the open session takes the right plate), in a click.

import { html } from "lit";
import { addToList, fetchLists, fetchReads, fixRead } from "../data/plates.js";
import { fetchSessions } from "../data/parking.js";
import { dateTime, percent } from "../format.js";
import { HubView } from "../view.js";

class PhPlates extends HubView {
  static properties = {
    _reads: { state: true },
    _lists: { state: true },
    _error: { state: true },
    _notice: { state: true },
    _fixing: { state: true },
  };

  watches() {
    return false;
  }

  events() {
    return { plate_detected: () => this.load() };
  }

  async load() {
    await this.attempt(async () => {
      [this._reads, this._lists] = await Promise.all([fetchReads({ limit: 50 }), fetchLists()]);
    });
  }

  async _add(read, event) {
    const select = event.target.closest("form").querySelector("select");
    const list = select.value;
    event.preventDefault();
    const done = await this.attempt(() => addToList(list, read.plate));
    if (done) {
      this._notice = `${read.plate} is on ${list} now.`;
      this.load();
    }
  }

  async _fix(read, event) {
    event.preventDefault();
    const plate = new FormData(event.target).get("plate").trim();
    const done = await this.attempt(async () => {
      const [session] = await fetchSessions({ plate: read.plate, status: "open", limit: 1 });
      if (!session) throw new Error(`${read.plate} has no open session to correct.`);
      return fixRead(session.id, plate);
    });
    if (done) {
      this._notice = `The session of ${read.plate} now carries ${plate}.`;
      this._fixing = null;
    }
  }

  _card(read) {
    const lists = this._lists || [];
    const fixing = this._fixing === read.context_id;
    const id = read.context_id;
    return html`<li class="card read">
      <div class="row">
        ${read.crop_url
          ? html`<img src=${read.crop_url} alt=${`Plate ${read.plate} as the camera saw it`} width="160" height="40"
              style="object-fit:contain;background:#000;border-radius:4px">`
          : html`<span class="muted">no picture</span>`}
        <div class="grow">
          <strong class="plate" style="font-size:1.15rem">${read.plate}</strong>
          ${read.list ? html`<span class="badge">${read.list}</span>` : html`<span class="muted">on no list</span>`}
          <div class="muted">${dateTime(read.time)} · ${read.direction} · ${read.camera} · ${percent(read.confidence)} sure</div>
        </div>
      </div>
      <div class="row" style="margin-top:0.5rem">
        <form class="row" @submit=${(event) => this._add(read, event)}>
          <label class="visually-hidden" for=${`list-${id}`}>List for ${read.plate}</label>
          <select id=${`list-${id}`} style="width:auto">
            ${lists.map((list) => html`<option value=${list.name}>${list.name}</option>`)}
          </select>
          <button type="submit" class="secondary" aria-label=${`Add ${read.plate} to the list`}>Add to list</button>
        </form>
        ${fixing
          ? html`<form class="row" @submit=${(event) => this._fix(read, event)}>
              <label class="visually-hidden" for=${`fix-${id}`}>Right plate for ${read.plate}</label>
              <input id=${`fix-${id}`} name="plate" value=${read.plate} required maxlength="16" style="width:9em">
              <button type="submit">Save</button>
            </form>`
          : html`<button class="secondary" @click=${() => (this._fixing = id)}
              aria-label=${`Fix misread ${read.plate}`}>Fix misread</button>`}
      </div>
    </li>`;
  }

  render() {
    return html`<h1>Plates</h1>
      ${this._error ? html`<p class="error" role="alert">${this._error}</p>` : ""}
      ${this._notice ? html`<p class="ok" role="status">${this._notice}</p>` : ""}
      <p class="muted">Recent reads, newest first.</p>
      <ul class="reads" style="list-style:none;padding:0;display:grid;gap:0 0.9rem;grid-template-columns:repeat(auto-fill,minmax(min(100%,420px),1fr))">
        ${(this._reads || []).map((read) => this._card(read))}
      </ul>
      ${this._reads && !this._reads.length ? html`<p class="muted">No plates read in the last day.</p>` : ""}`;
  }
}

customElements.define("ph-plates", PhPlates);
