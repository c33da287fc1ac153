// The lot's spaces: where each is (from the hub) and what it is now (from the entities).

import { get } from "./api.js";

/** `[{lot, camera, width, height, slots: [{id, entity_id, polygon, group}]}]`. */
export async function fetchLots() {
  return (await get("/api/occupancy/lots")).lots;
}

/** free | occupied | reserved | unavailable, from a slot's binary_sensor state. */
export function slotStatus(entity) {
  if (!entity || entity.s === "unavailable" || entity.s === "unknown") return "unavailable";
  if (entity.s === "on") return "occupied";
  if (entity.a?.reserved) return "reserved";
  return "free";
}

export const STATUS_LABEL = {
  free: "Free",
  occupied: "Occupied",
  reserved: "Reserved",
  unavailable: "Unavailable",
};

/** The free-space sensors: `[{entity_id, name, free, total, occupied, reserved, groups}]`. */
export function freeSpaces(entities) {
  const result = [];
  for (const [id, entity] of entities) {
    if (!id.startsWith("sensor.") || !id.endsWith("_free_spaces")) continue;
    result.push({
      entity_id: id,
      lot: id.slice("sensor.".length, -"_free_spaces".length),
      name: entity.a.friendly_name || id,
      free: entity.s === "unknown" || entity.s === "unavailable" ? null : Number(entity.s),
      total: entity.a.total,
      occupied: entity.a.occupied,
      reserved: entity.a.reserved,
      groups: entity.a.free_by_group || null,
      since: entity.lu,
    });
  }
  return result.sort((a, b) => a.lot.localeCompare(b.lot));
}

const LAST_SEEN_KEY = "parkhub.lastFree";

/** Keep the last free count seen, for the offline shell. */
export function rememberFree(spaces) {
  const known = spaces.filter((item) => item.free !== null);
  if (!known.length) return;
  const free = known.reduce((sum, item) => sum + item.free, 0);
  try {
    localStorage.setItem(LAST_SEEN_KEY, JSON.stringify({ free, at: Date.now() }));
  } catch {
    /* private mode: nothing to keep */
  }
}

export function lastSeenFree() {
  try {
    return JSON.parse(localStorage.getItem(LAST_SEEN_KEY) || "null");
  } catch {
    return null;
  }
}
