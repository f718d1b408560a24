// The on-call answers, computed in the browser from the same read models as the CLI
// (workers/controlroom/cli/answers.py holds the same rules; keep the two in step).
// Why a queued run waits is the control plane's answer (explain_wait), not computed here.

export const RUN_STATUSES = ["queued", "claimed", "running", "succeeded", "failed", "cancelled", "timed_out"];

// The board search as an ILIKE fragment for run_board.search_text (lower-cased there): ILIKE's
// wildcards and escape character match themselves; PostgREST's "*" wildcard cannot be escaped and
// is dropped. Same rule as the CLI (controlroom.client.control_plane.search_pattern).
export function searchPattern(text) {
  const t = (text || "").trim().toLowerCase().replaceAll("*", "");
  return t.replaceAll("\\", "\\\\").replaceAll("%", "\\%").replaceAll("_", "\\_");
}

// Phases of the latest attempt: phase.started/phase.finished payloads and the phase.log tails.
export function phasesFromEvents(events) {
  let latest = null;
  for (const e of events) if ((e.type === "phase.started" || e.type === "phase.finished") && e.attempt_id) latest = e.attempt_id;
  const phases = new Map();
  for (const e of events) {
    if (e.attempt_id !== latest || !e.phase) continue;
    if (!phases.has(e.phase)) phases.set(e.phase, { phase: e.phase, status: "running", tails: {} });
    const p = phases.get(e.phase);
    if (e.type === "phase.started") p.started_at = e.ts;
    else if (e.type === "phase.finished") Object.assign(p, e.payload, { finished_at: e.ts, phase: e.phase });
    else if (e.type === "phase.log" && e.payload && e.payload.stream) p.tails[e.payload.stream] = e.payload;
  }
  return [...phases.values()];
}

export function capText(breach) {
  if (!breach) return "";
  return `${breach.cap} ${amount(breach.measured, breach.unit)} > ${amount(breach.limit, breach.unit)}`;
}

function amount(value, unit) {
  if (typeof value !== "number") return String(value);
  if (unit === "bytes") {
    let n = value;
    for (const name of ["B", "KiB", "MiB", "GiB"]) {
      if (n < 1024 || name === "GiB") return `${Number.isInteger(n) ? n : n.toFixed(1)} ${name}`;
      n /= 1024;
    }
  }
  if (unit === "seconds" || unit === "cpu_seconds") return `${+value.toPrecision(3)}s`;
  return `${value} ${unit || ""}`.trim();
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "";
  const s = Math.max(seconds, 0);
  if (s < 1) return `${Math.round(s * 1000)}ms`;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60), h = Math.floor(m / 60), d = Math.floor(h / 24);
  if (d) return `${d}d ${String(h % 24).padStart(2, "0")}h`;
  if (h) return `${h}h ${String(m % 60).padStart(2, "0")}m`;
  return `${m}m ${String(Math.floor(s % 60)).padStart(2, "0")}s`;
}

export function between(start, end, now = new Date()) {
  if (!start) return null;
  return ((end ? new Date(end) : now) - new Date(start)) / 1000;
}
