// Barriers: their states come with the entities; commands and the log go through the hub.

import { callService, get, query } from "./api.js";

export function gatesOf(entities) {
  const gates = [];
  for (const [id, entity] of entities) {
    if (id.startsWith("gate.")) gates.push({ entity_id: id, name: entity.a.friendly_name || id, ...entity });
  }
  return gates.sort((a, b) => a.entity_id.localeCompare(b.entity_id));
}

export const openGate = (entityId) => callService("gate", "open", { entity_id: entityId, reason: "panel" });
export const closeGate = (entityId) => callService("gate", "close", { entity_id: entityId, reason: "panel" });

/** `[{time, entity_id, command, cause: "...", chain: [...]}]`, newest first. */
export async function fetchGateLog(params = {}) {
  return (await get(`/api/gate/log${query(params)}`)).log;
}
