// Shared styles: light and dark from the system, colours that pass WCAG AA.

import { css } from "lit";

export const shared = css`
  :host {
    display: block;
    color: var(--text);
    font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  }
  h1 { font-size: 1.35rem; margin: 0 0 0.75rem; }
  h2 { font-size: 1.1rem; margin: 1.25rem 0 0.5rem; }
  p { margin: 0.25rem 0 0.75rem; }
  a { color: var(--link); }
  .card {
    background: var(--surface);
    border: 1px solid var(--border);
    border-radius: 10px;
    padding: 0.9rem 1rem;
    margin-bottom: 0.9rem;
  }
  .muted { color: var(--muted); }
  .row { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: center; }
  .grow { flex: 1 1 auto; }
  button, .button {
    font: inherit;
    min-height: 44px;
    padding: 0.4rem 0.9rem;
    border-radius: 8px;
    border: 1px solid var(--accent);
    background: var(--accent);
    color: var(--on-accent);
    cursor: pointer;
    text-decoration: none;
    display: inline-flex;
    align-items: center;
  }
  button.secondary, .button.secondary {
    background: transparent;
    color: var(--accent-text);
  }
  button.danger { background: var(--danger); border-color: var(--danger); color: #fff; }
  button:disabled { opacity: 0.55; cursor: not-allowed; }
  button:focus-visible, a:focus-visible, input:focus-visible, select:focus-visible,
  [tabindex]:focus-visible, .slot:focus-visible {
    outline: 3px solid var(--focus);
    outline-offset: 2px;
  }
  label { display: block; font-weight: 600; margin: 0.5rem 0 0.2rem; }
  input, select {
    font: inherit;
    min-height: 44px;
    box-sizing: border-box;
    width: 100%;
    padding: 0.4rem 0.6rem;
    border-radius: 8px;
    border: 1px solid var(--field-border);
    background: var(--field);
    color: var(--text);
  }
  .fields { display: grid; gap: 0 0.75rem; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); }
  table { width: 100%; border-collapse: collapse; font-size: 0.95rem; }
  th, td { text-align: left; padding: 0.45rem 0.4rem; border-bottom: 1px solid var(--border); vertical-align: top; }
  th { color: var(--muted); font-weight: 600; }
  .table-wrap { overflow-x: auto; }
  .error { color: var(--danger-text); font-weight: 600; }
  .ok { color: var(--ok-text); }
  .badge {
    display: inline-block;
    padding: 0.05rem 0.5rem;
    border-radius: 999px;
    font-size: 0.85rem;
    font-weight: 600;
    border: 1px solid var(--border);
  }
  .badge.free { background: var(--free); color: var(--on-free); border-color: var(--free); }
  .badge.occupied { background: var(--occupied); color: var(--on-occupied); border-color: var(--occupied); }
  .badge.reserved { background: var(--reserved); color: var(--on-reserved); border-color: var(--reserved); }
  .badge.unavailable { background: var(--unavailable); color: var(--on-unavailable); border-color: var(--unavailable); }
  .big { font-size: 2.2rem; font-weight: 700; line-height: 1.1; }
  .visually-hidden {
    position: absolute; width: 1px; height: 1px; overflow: hidden;
    clip: rect(0 0 0 0); white-space: nowrap;
  }
`;
