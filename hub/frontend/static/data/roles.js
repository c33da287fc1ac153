// Which role sees which page. The panel only hides; the hub enforces (issue 13's table).

export const RANK = { resident: 1, operator: 2, admin: 3 };

export const PAGES = [
  { path: "/home", label: "Home", min: "resident", only: "resident" },
  { path: "/lot", label: "Lot", min: "resident" },
  { path: "/cameras", label: "Cameras", min: "operator" },
  { path: "/gates", label: "Gates", min: "operator" },
  { path: "/plates", label: "Plates", min: "operator" },
  { path: "/sessions", label: "Sessions", min: "operator" },
  { path: "/notifications", label: "Notifications", min: "resident" },
];

export function atLeast(role, min) {
  return (RANK[role] || 0) >= RANK[min];
}

export function mayOpen(role, path) {
  const page = PAGES.find((item) => item.path === path);
  if (!page) return false;
  if (page.only) return role === page.only;
  return atLeast(role, page.min);
}

export function pagesFor(role) {
  return PAGES.filter((page) => mayOpen(role, page.path));
}

export function homeFor(role) {
  return role === "resident" ? "/home" : "/lot";
}
