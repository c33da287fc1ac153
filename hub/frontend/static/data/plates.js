// Plate reads and the plate lists.

import { callService, del, get, post, query } from "./api.js";

export async function fetchReads(params = {}) {
  return (await get(`/api/lpr/reads${query(params)}`)).reads;
}

export const fetchLists = () => get("/api/lpr/lists");

export const addToList = (list, plate, note) =>
  post(`/api/lpr/lists/${encodeURIComponent(list)}/plates`, note ? { plate, note } : { plate });

export const removeFromList = (list, plate) =>
  del(`/api/lpr/lists/${encodeURIComponent(list)}/plates/${encodeURIComponent(plate)}`);

/** Say a read was wrong: the session it started carries the right plate from now on. */
export const fixRead = (sessionId, plate) => callService("parking", "correct_plate", { session_id: sessionId, plate });
