// The Cameras page: each camera's live MJPEG restream with slot and plate overlays, and
// a snapshot to keep.

import { html } from "lit";
import { HubView } from "../view.js";

class PhCameras extends HubView {
  static properties = { _overlays: { state: true } };

  constructor() {
    super();
    this._overlays = true;
  }

  watches(changed) {
    for (const id of changed) if (id.startsWith("camera.")) return true;
    return false;
  }

  render() {
    const cameras = [...this.entities].filter(([id]) => id.startsWith("camera.")).sort();
    const overlays = this._overlays ? 1 : 0;
    return html`<h1>Cameras</h1>
      <label class="row" style="font-weight:400">
        <input type="checkbox" style="width:auto;min-height:auto" .checked=${this._overlays}
          @change=${(event) => (this._overlays = event.target.checked)}>
        Show spaces and plates on the pictures
      </label>
      <div class="fields" style="grid-template-columns:repeat(auto-fit,minmax(300px,1fr))">
        ${cameras.map(([id, camera]) => {
          const name = camera.a.friendly_name || id;
          return html`<section class="card" aria-label=${name}>
            <div class="row"><h2 class="grow" style="margin:0">${name}</h2><span class="badge">${camera.s}</span></div>
            <p class="muted">${camera.a.resolution || ""} ${camera.a.fps ? html`· ${camera.a.fps} fps` : ""}</p>
            ${camera.s === "unavailable"
              ? html`<p>This camera is not sending pictures.</p>`
              : html`<img src=${`/api/camera/${id}/stream.mjpeg?fps=2&overlays=${overlays}`} alt=${`Live picture of ${name}`}
                  style="width:100%;height:auto;border-radius:6px" loading="lazy">`}
            <p><a class="button secondary" href=${`/api/camera/${id}/snapshot.jpg?overlays=${overlays}`}
              download=${`${id}.jpg`} target="_blank">Snapshot</a></p>
          </section>`;
        })}
      </div>`;
  }
}

customElements.define("ph-cameras", PhCameras);
