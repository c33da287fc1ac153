// The one WebSocket of a tab, shared by every view (home-assistant-js-websocket's shape).
//
// Speaks the hub's WebSocket API (Home Assistant's protocol): the session cookie
// authenticates the socket, then `subscribe_entities` keeps `entities` whole (full states
// first, then compressed diffs) and `subscribe_events` feeds the views that asked. When
// the socket drops (the hub restarts, the Wi-Fi blinks) it reconnects with a growing
// backoff and subscribes again; the first `subscribe_entities` message after that
// replaces every state, so nothing missed while away stays stale.

const BACKOFF_MS = [250, 500, 1000, 2000, 3000, 5000];

export class HubConnection extends EventTarget {
  constructor(url = defaultUrl()) {
    super();
    this.url = url;
    this.entities = new Map(); // entity_id -> {s, a, lc, lu, c}
    this.status = "connecting"; // connecting | connected | offline | unauthorized
    this.offlineSince = null;
    this._ws = null;
    this._id = 0;
    this._pending = new Map(); // message id -> {resolve, reject}
    this._eventSubs = new Map(); // event type -> Set(callback)
    this._eventIds = new Map(); // message id -> event type
    this._attempt = 0;
    this._timer = null;
    this._closed = false;
  }

  connect() {
    this._closed = false;
    clearTimeout(this._timer);
    const ws = new WebSocket(this.url);
    this._ws = ws;
    ws.onmessage = (msg) => {
      const data = JSON.parse(msg.data);
      // Coalesced (asked for at auth_ok): several messages in one frame, as an array.
      if (Array.isArray(data)) for (const message of data) this._onMessage(message);
      else this._onMessage(data);
    };
    ws.onclose = () => this._onClose(ws);
  }

  close() {
    this._closed = true;
    clearTimeout(this._timer);
    if (this._ws) this._ws.close();
  }

  /** Send a command; resolves with its result, rejects with the hub's error message. */
  command(message) {
    if (!this._ws || this._ws.readyState !== WebSocket.OPEN || this.status !== "connected") {
      return Promise.reject(new Error("The hub is not reachable right now."));
    }
    const id = ++this._id;
    return new Promise((resolve, reject) => {
      this._pending.set(id, { resolve, reject });
      this._ws.send(JSON.stringify({ ...message, id }));
    });
  }

  callService(domain, service, data = {}) {
    return this.command({ type: "call_service", domain, service, service_data: data });
  }

  /** Call `callback(event)` for each event of this type; returns the unsubscribe. */
  subscribeEvents(eventType, callback) {
    let subs = this._eventSubs.get(eventType);
    if (!subs) {
      subs = new Set();
      this._eventSubs.set(eventType, subs);
      if (this.status === "connected") this._subscribeEventType(eventType);
    }
    subs.add(callback);
    return () => subs.delete(callback);
  }

  _subscribeEventType(eventType) {
    const id = ++this._id;
    this._eventIds.set(id, eventType);
    this._ws.send(JSON.stringify({ id, type: "subscribe_events", event_type: eventType }));
  }

  _setStatus(status) {
    if (status === this.status) return;
    this.status = status;
    if (status === "offline" && this.offlineSince === null) this.offlineSince = new Date();
    if (status === "connected") this.offlineSince = null;
    this.dispatchEvent(new CustomEvent("status", { detail: status }));
  }

  _onMessage(msg) {
    switch (msg.type) {
      case "auth_required":
        // The session cookie went with the handshake; this asks the hub to use it.
        this._ws.send(JSON.stringify({ type: "auth" }));
        return;
      case "auth_ok":
        this._onAuthenticated();
        return;
      case "auth_invalid":
        this._setStatus("unauthorized");
        this._closed = true;
        this._ws.close();
        return;
      case "result": {
        const pending = this._pending.get(msg.id);
        if (!pending) return;
        this._pending.delete(msg.id);
        if (msg.success) pending.resolve(msg.result);
        else pending.reject(new Error(msg.error?.message || "The hub refused this."));
        return;
      }
      case "event":
        if (msg.id === this._entitiesId) this._applyEntities(msg.event);
        else this._dispatchEvent(msg.id, msg.event);
        return;
      default:
    }
  }

  _onAuthenticated() {
    this._attempt = 0;
    this._id = 0;
    this._resync = true;
    this._ws.send(JSON.stringify({ id: ++this._id, type: "supported_features", features: { coalesce_messages: 1 } }));
    this._entitiesId = ++this._id;
    this._ws.send(JSON.stringify({ id: this._entitiesId, type: "subscribe_entities" }));
    this._eventIds.clear();
    for (const eventType of this._eventSubs.keys()) this._subscribeEventType(eventType);
    this._setStatus("connected");
    this.dispatchEvent(new CustomEvent("reconnected"));
  }

  _applyEntities(event) {
    const entities = this.entities;
    const changed = new Set();
    if (this._resync) {
      // The first message after (re)subscribing holds every state: start from it alone.
      this._resync = false;
      for (const id of entities.keys()) if (!(event.a && id in event.a)) changed.add(id);
      entities.clear();
    }
    if (event.a) {
      for (const [id, state] of Object.entries(event.a)) {
        entities.set(id, { ...state, c: contextOf(state.c), lu: state.lu ?? state.lc });
        changed.add(id);
      }
    }
    if (event.c) {
      for (const [id, diff] of Object.entries(event.c)) {
        const old = entities.get(id);
        if (!old) continue;
        const next = { ...old, a: { ...old.a } };
        const add = diff["+"] || {};
        if ("s" in add) next.s = add.s;
        if ("lc" in add) next.lc = next.lu = add.lc;
        if ("lu" in add) next.lu = add.lu;
        if ("c" in add) next.c = typeof add.c === "string" ? { id: add.c, parent_id: old.c.parent_id, user_id: old.c.user_id } : { ...old.c, ...add.c };
        if (add.a) Object.assign(next.a, add.a);
        for (const key of diff["-"]?.a || []) delete next.a[key];
        entities.set(id, next);
        changed.add(id);
      }
    }
    if (event.r) {
      for (const id of event.r) {
        entities.delete(id);
        changed.add(id);
      }
    }
    this.dispatchEvent(new CustomEvent("entities", { detail: changed }));
  }

  _dispatchEvent(id, event) {
    const eventType = this._eventIds.get(id);
    for (const callback of this._eventSubs.get(eventType) || []) {
      try {
        callback(event);
      } catch (err) {
        console.error("event listener failed", err);
      }
    }
  }

  _onClose(ws) {
    if (ws !== this._ws) return;
    for (const pending of this._pending.values()) {
      pending.reject(new Error("The connection to the hub was lost."));
    }
    this._pending.clear();
    if (this._closed) return;
    this._setStatus("offline");
    const delay = BACKOFF_MS[Math.min(this._attempt, BACKOFF_MS.length - 1)];
    this._attempt += 1;
    this._timer = setTimeout(() => this.connect(), delay);
  }
}

function contextOf(value) {
  if (value && typeof value === "object") return value;
  return { id: value, parent_id: null, user_id: null };
}

function defaultUrl() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/api/websocket`;
}
