// The panel's notifications.

import { get, post } from "./api.js";

export const fetchNotifications = () => get("/api/notify/panel");
export const markRead = (id) => post(`/api/notify/panel/${encodeURIComponent(id)}/read`);
export const markUnread = (id) => post(`/api/notify/panel/${encodeURIComponent(id)}/unread`);
export const markAllRead = () => post("/api/notify/panel/read_all");
