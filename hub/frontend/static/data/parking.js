// Sessions and reservations: REST for lists, services for changes.

import { callService, get, query } from "./api.js";

export async function fetchSessions(filters = {}) {
  return (await get(`/api/parking/sessions${query(filters)}`)).sessions;
}

export async function fetchReservations(filters = {}) {
  return (await get(`/api/parking/reservations${query(filters)}`)).reservations;
}

export function csvUrl(filters = {}) {
  return `/api/parking/sessions.csv${query(filters)}`;
}

export const endSession = (sessionId) => callService("parking", "end_session", { session_id: sessionId });

export const recordPayment = (sessionId, method, amount) =>
  callService("parking", "pay", amount === undefined ? { session_id: sessionId, method } : { session_id: sessionId, method, amount });

export const reserve = (data) => callService("parking", "reserve", data);

export const cancelReservation = (reservationId) =>
  callService("parking", "cancel_reservation", { reservation_id: reservationId });

export async function fetchAnomalies() {
  return (await get("/api/parking/anomalies")).anomalies;
}

export const acknowledgeAnomaly = (id) =>
  callService("parking", "acknowledge_anomaly", { anomaly_id: id });

/** The fee a session has run up so far, by the lot's own tariff (the hub computes it). */
export function liveFee(session) {
  return session.fee_so_far ?? session.fee ?? 0;
}
