// Who is using the panel: the session (cookie), login, logout and the first admin.

import { ApiError, get, post, setCsrfToken } from "./api.js";

/** The signed-in user `{user, role}`, or null; remembers the CSRF token for changes. */
export async function fetchSession() {
  try {
    const session = await get("/auth/session");
    setCsrfToken(session.csrf_token ?? session.csrf);
    return { user: session.user ?? session.username, role: session.role, vehicles: session.vehicles || [] };
  } catch (err) {
    if (err instanceof ApiError && [401, 403, 404].includes(err.status)) return null;
    throw err;
  }
}

/** True when the hub has no admin yet and waits for the onboarding code. */
export async function needsOnboarding() {
  try {
    const state = await get("/api/onboarding");
    return Boolean(state?.required ?? state?.needed ?? state?.onboarding ?? !state?.done);
  } catch {
    return false;
  }
}

export async function login(username, password) {
  return post("/auth/login", { username, password });
}

export async function logout() {
  try {
    await post("/auth/logout");
  } finally {
    setCsrfToken(null);
  }
}

export async function onboard(code, username, password) {
  return post("/api/onboarding", { code, username, password });
}
