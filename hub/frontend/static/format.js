// How times, durations and money read in the panel.

export function toDate(value) {
  if (value === null || value === undefined || value === "") return null;
  return typeof value === "number" ? new Date(value * 1000) : new Date(value);
}

export function time(value) {
  const date = toDate(value);
  return date ? date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : "—";
}

export function dateTime(value) {
  const date = toDate(value);
  if (!date) return "—";
  if (date.toDateString() === new Date().toDateString()) return time(date.getTime() / 1000);
  return date.toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

export function ago(value, now = Date.now()) {
  const date = toDate(value);
  if (!date) return "—";
  return duration((now - date.getTime()) / 1000) + " ago";
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

export function money(minor, currency = "EUR") {
  if (minor === null || minor === undefined) return "—";
  try {
    return new Intl.NumberFormat([], { style: "currency", currency }).format(minor / 100);
  } catch {
    return `${(minor / 100).toFixed(2)} ${currency}`;
  }
}

export function percent(value) {
  return value === null || value === undefined ? "—" : `${Math.round(value * 100)}%`;
}
