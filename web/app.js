// The control room page: plain ES modules, supabase-js in the browser, no build step.
// It reads only through the Data API with the signed-in user's token, so it shows what RLS lets
// that user see. Live updates: the current view is re-read every POLL_MS while the tab is visible
// and patched in place (seam: the realtime endpoint can replace the timer).
import { RUN_STATUSES, between, capText, duration, phasesFromEvents, searchPattern } from "./oncall.js";

const POLL_MS = 5000;
const PAGE_SIZE = 25;
const TOKEN_KEY = "controlroom.access_token";
const view = document.getElementById("view");
const live = document.getElementById("live");
let db = null;
let timer = null;
let renderSeq = 0;
const state = { statuses: [], spec: "", pool: "", workspace: "", range: "24h", q: "", page: 0, showArtifactEvents: false };
let workspaces = new Map(); // id → slug

// -- small DOM helpers --------------------------------------------------------------------------

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}
const short = (id) => (id ? String(id).slice(0, 8) : "");
const statusEl = (s) => h("span", { class: `status s-${s}` }, s || "");
const when = (ts) => (ts ? new Date(ts).toLocaleString([], { month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" }) : "");
const ago = (ts) => (ts ? `${duration(between(ts, null))} ago` : "");
const oneLine = (t) => (t || "").split(/\s+/).join(" ").trim();
const slug = (id) => workspaces.get(id) || short(id);

function table(columns, rows, { key = null, empty = "nothing here" } = {}) {
  // columns: [{title, width, num, cell: row => Node|string}]
  const colgroup = h("colgroup", {}, columns.map((c) => h("col", c.width ? { class: "w" , "data-w": c.width } : {})));
  const t = h("table", {}, colgroup,
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { class: c.num ? "num" : null, scope: "col" }, c.title)))),
    h("tbody"));
  colgroup.querySelectorAll("col").forEach((col, i) => { if (columns[i].width) col.style.width = columns[i].width; });
  patchRows(t.tBodies[0], columns, rows, empty);
  return t;
}

// Re-use the rows already on screen (same element, same height): focus and scroll stay put.
function patchRows(tbody, columns, rows, empty) {
  const want = rows.length ? rows.length : 1;
  while (tbody.rows.length > want) tbody.deleteRow(-1);
  while (tbody.rows.length < want) tbody.insertRow(-1);
  if (!rows.length) {
    const tr = tbody.rows[0];
    tr.replaceChildren(h("td", { colspan: columns.length, class: "muted" }, empty));
    return;
  }
  rows.forEach((row, i) => {
    const tr = tbody.rows[i];
    if (tr.cells.length !== columns.length) tr.replaceChildren(...columns.map((c) => h("td", { class: c.num ? "num" : null })));
    columns.forEach((c, j) => {
      const value = c.cell(row);
      const td = tr.cells[j];
      const node = value instanceof Node ? value : document.createTextNode(value ?? "");
      const text = node.textContent;
      if (td.dataset.v === text + (node.nodeName || "")) return; // unchanged: leave it (and its focus) alone
      td.dataset.v = text + (node.nodeName || "");
      td.title = text;
      td.replaceChildren(node);
    });
  });
}

async function q(promise) {
  const { data, error, count } = await promise;
  if (error) throw new Error(`${error.code || ""} ${error.message}${error.hint ? ` (${error.hint})` : ""}`.trim());
  return count === undefined || count === null ? data : { data, count };
}

// -- sign-in ------------------------------------------------------------------------------------

function tokenFromUrl() {
  const hash = new URLSearchParams(location.hash.replace(/^#/, ""));
  const token = hash.get("access_token");
  if (token) {
    sessionStorage.setItem(TOKEN_KEY, token);
    history.replaceState(null, "", `${location.pathname}#/runs`);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

function claims(token) {
  try { return JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))); } catch { return null; }
}

async function connect() {
  const cfg = await (await fetch("config.json")).json();
  const token = tokenFromUrl();
  const c = token && claims(token);
  if (c && c.exp * 1000 > Date.now()) {
    // A token handed over by `controlroom open` (local) or by a Supabase Auth redirect.
    db = window.supabase.createClient(cfg.supabaseUrl, cfg.anonKey, { accessToken: async () => token });
    document.getElementById("who").textContent = c.email || c.sub;
    return true;
  }
  sessionStorage.removeItem(TOKEN_KEY);
  db = window.supabase.createClient(cfg.supabaseUrl, cfg.anonKey);
  const { data } = await db.auth.getSession().catch(() => ({ data: {} }));
  if (data && data.session) {
    document.getElementById("who").textContent = data.session.user.email;
    return true;
  }
  showSignIn(c ? "Your session expired." : "");
  return false;
}

function showSignIn(note) {
  const msg = h("p", { class: "error", role: "alert" }, note);
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true });
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password", required: true });
  const form = h("form", {
    onsubmit: async (ev) => {
      ev.preventDefault();
      const { error } = await db.auth.signInWithPassword({ email: email.value, password: password.value });
      if (error) msg.textContent = error.message;
      else location.reload();
    },
  }, h("label", {}, "Email ", email), h("label", {}, "Password ", password), h("button", { type: "submit" }, "Sign in"));
  view.replaceChildren(h("section", { class: "signin card" }, h("h1", {}, "Sign in"), msg, form,
    h("p", { class: "muted" }, "Local stack: run ", h("code", {}, "controlroom open"), " to open this page signed in as a local user.")));
}

// -- router and polling ---------------------------------------------------------------------------

const routes = { runs: boardView, run: runView, queues: queuesView, executors: executorsView, alerts: alertsView, usage: usageView };

function route() {
  const [name, arg] = location.hash.replace(/^#\/?/, "").split("/");
  return routes[name] ? [name, arg] : ["runs", undefined];
}

async function show(fresh) {
  const [name, arg] = route();
  document.querySelectorAll("nav a").forEach((a) => a.toggleAttribute("aria-current", a.dataset.view === (name === "run" ? "runs" : name)));
  if (fresh) a11yTitle(name);
  const seq = ++renderSeq;
  try {
    await routes[name](arg, fresh, () => seq === renderSeq);
    live.textContent = `updated ${new Date().toLocaleTimeString()}`;
  } catch (err) {
    live.textContent = "update failed";
    if (fresh || !view.querySelector(".error.load")) view.prepend(h("p", { class: "error load", role: "alert" }, String(err.message || err)));
  }
}

function a11yTitle(name) {
  document.title = `${name[0].toUpperCase()}${name.slice(1)} · Control Room`;
}

function startPolling() {
  clearInterval(timer);
  timer = setInterval(() => { if (document.visibilityState === "visible") show(false); }, POLL_MS);
}

// -- run board ------------------------------------------------------------------------------------

const RANGES = { "1h": 3600, "24h": 86400, "7d": 7 * 86400, "30d": 30 * 86400, all: null };

async function boardView(_arg, fresh, current) {
  if (fresh || !view.querySelector("#board")) renderBoardShell();
  let query = db.from("run_board").select("*", { count: "exact" }).order("created_at", { ascending: false });
  if (state.statuses.length) query = query.in("status", state.statuses);
  if (state.spec) query = query.eq("spec_name", state.spec);
  if (state.pool) query = query.eq("pool", state.pool);
  if (state.workspace) query = query.eq("workspace_id", state.workspace);
  if (RANGES[state.range]) query = query.gte("created_at", new Date(Date.now() - RANGES[state.range] * 1000).toISOString());
  // The search is part of the query (run_board.search_text), so it finds runs on every page.
  const needle = searchPattern(state.q);
  if (needle) query = query.ilike("search_text", `*${needle}*`);
  const from = state.page * PAGE_SIZE;
  const { data, count } = await q(query.range(from, from + PAGE_SIZE - 1));
  if (!current()) return;
  patchRows(view.querySelector("#board tbody"), BOARD_COLUMNS, data, "no runs match these filters");
  const last = Math.min(from + data.length, count);
  view.querySelector("#pageinfo").textContent = count ? `runs ${from + 1}–${last} of ${count}${needle ? " matching the search" : ""}` : "no runs";
  view.querySelector("#prev").disabled = state.page === 0;
  view.querySelector("#next").disabled = last >= count;
}

const BOARD_COLUMNS = [
  { title: "run", width: "92px", cell: (r) => h("a", { href: `#/run/${r.run_id}`, class: "mono" }, short(r.run_id)) },
  { title: "workspace", width: "130px", cell: (r) => slug(r.workspace_id) },
  { title: "spec", width: "170px", cell: (r) => `${r.spec_name}@${r.spec_version}` },
  { title: "pool", width: "120px", cell: (r) => r.pool },
  { title: "status", width: "106px", cell: (r) => statusEl(r.status) },
  { title: "try", width: "48px", num: true, cell: (r) => `${r.attempt_count}/${r.max_attempts ?? ""}` },
  { title: "created", width: "150px", cell: (r) => when(r.created_at) },
  { title: "queued for", width: "96px", num: true, cell: (r) => duration(between(r.created_at, r.started_at || r.finished_at)) },
  { title: "ran for", width: "76px", num: true, cell: (r) => duration(between(r.started_at, r.finished_at)) },
  { title: "error / reason", cell: (r) => oneLine(r.last_error_class ? `${r.last_error_class}: ${r.last_error_message || ""}` : r.status === "queued" ? r.status_reason : "") },
];

function renderBoardShell() {
  const rerun = () => { state.page = 0; show(false); };
  const statusBoxes = RUN_STATUSES.map((s) => h("label", {}, h("input", {
    type: "checkbox", name: "status", value: s, checked: state.statuses.includes(s),
    onchange: (ev) => { state.statuses = ev.target.checked ? [...state.statuses, s] : state.statuses.filter((x) => x !== s); rerun(); },
  }), s));
  const text = (name, label, key, placeholder) => h("label", {}, label, h("input", {
    name, value: state[key], placeholder, size: 14,
    onchange: (ev) => { state[key] = ev.target.value.trim(); rerun(); },
  }));
  const wsSelect = h("select", { name: "workspace", onchange: (ev) => { state.workspace = ev.target.value; rerun(); } },
    h("option", { value: "" }, "all"), [...workspaces].map(([id, s]) => h("option", { value: id, selected: state.workspace === id }, s)));
  const rangeSelect = h("select", { name: "range", onchange: (ev) => { state.range = ev.target.value; rerun(); } },
    Object.keys(RANGES).map((k) => h("option", { value: k, selected: state.range === k }, k === "all" ? "any time" : `last ${k}`)));
  const search = h("input", { type: "search", name: "q", id: "search", value: state.q, placeholder: "id, spec, error…", size: 22,
    oninput: (ev) => { state.q = ev.target.value; show(false); } });
  view.replaceChildren(
    h("h1", {}, "Runs"),
    h("div", { class: "filters", role: "search" },
      h("fieldset", {}, h("legend", {}, "status"), statusBoxes),
      h("label", {}, "workspace", wsSelect), text("spec", "spec", "spec", "name"), text("pool", "pool", "pool", "pool"),
      h("label", {}, "submitted", rangeSelect), h("label", {}, h("span", {}, "search ", h("kbd", {}, "/")), search)),
    h("div", { class: "board-body" }, Object.assign(table(BOARD_COLUMNS, []), { id: "board" })),
    h("div", { class: "pager" },
      h("button", { id: "prev", onclick: () => { state.page -= 1; show(false); } }, "← newer"),
      h("button", { id: "next", onclick: () => { state.page += 1; show(false); } }, "older →"),
      h("span", { id: "pageinfo", class: "muted" }, "loading…")));
}

// -- run detail -----------------------------------------------------------------------------------

async function runView(runId, fresh, current) {
  const [boardRows, detailRows, attempts, events, artifacts] = await Promise.all([
    q(db.from("run_board").select("*").eq("run_id", runId)),
    q(db.from("runs").select("params,required_labels,not_before,status_reason,pool,cancel_reason").eq("id", runId)),
    q(db.from("run_attempts").select("attempt_no,status,executor_id,claimed_at,started_at,finished_at,error_class,error_message").eq("run_id", runId).order("attempt_no")),
    q(db.from("run_events").select("id,attempt_id,seq,type,level,phase,message,payload,ts").eq("run_id", runId).order("id")),
    q(db.from("artifacts").select("id,phase,name,uri,sha256,size_bytes,created_at,attempt_id").eq("run_id", runId).order("created_at")),
  ]);
  if (!current()) return;
  const run = boardRows[0];
  if (!run) { view.replaceChildren(h("h1", {}, "Run not found"), h("p", {}, "It does not exist, or RLS does not let you see it.")); return; }
  const detail = detailRows[0] || {};
  // Why it waits is the control plane's answer (explain_wait), most specific reason first.
  const waits = run.status === "queued" ? await q(db.rpc("explain_wait", { run_id: run.run_id })) : [];
  if (!current()) return;
  const phases = phasesFromEvents(events);
  const verification = new Map();
  for (const e of events) if (e.type.startsWith("artifact.verif")) verification.set(e.payload.artifact_id, { ok: e.type === "artifact.verified", ts: e.ts });
  const scroll = window.scrollY;
  const focusedId = document.activeElement && document.activeElement.id;
  const logScroll = new Map([...view.querySelectorAll(".fulllog")].map((el) => [el.dataset.artifact, el.querySelector("pre").scrollTop]));
  setView(
    h("p", {}, h("a", { href: "#/runs" }, "← runs")),
    h("h1", {}, `Run `, h("span", { class: "mono" }, run.run_id), " ", statusEl(run.status)),
    run.status === "queued" ? h("div", { class: "wait", id: "wait-reason" }, h("strong", {}, "Waiting: "), waits.length ? waits[0].message : "no reason given") : null,
    h("div", { class: "grid2" },
      h("dl", { class: "facts card" },
        fact("spec", `${run.spec_name}@${run.spec_version} (${run.spec_hash.slice(0, 12)})`),
        fact("workspace", slug(run.workspace_id)),
        fact("pool · priority", `${run.pool} · ${run.priority}`),
        fact("attempts", `${run.attempt_count} of at most ${run.max_attempts}`),
        fact("submitted", when(run.created_at)),
        fact("queued for", duration(between(run.created_at, run.started_at || run.finished_at))),
        fact("ran for", run.started_at ? duration(between(run.started_at, run.finished_at)) : "not started"),
        fact("last change", `${run.status_changed_by}: ${run.status_reason}`),
        run.last_error_class ? fact("last error", h("span", { class: "error" }, `${run.last_error_class}: ${run.last_error_message || ""}`)) : null),
      h("div", { class: "card" },
        h("h2", {}, "params"), h("pre", {}, JSON.stringify(detail.params || {}, null, 2)),
        h("h2", {}, "required labels"), h("pre", {}, Object.keys(detail.required_labels || {}).length ? JSON.stringify(detail.required_labels, null, 2) : "none"))),
    h("h2", {}, "phases (latest attempt)"), gantt(phases),
    h("h2", {}, "logs"), logsSection(run, phases, artifacts, events),
    h("h2", {}, "attempts"),
    table([
      { title: "#", width: "40px", num: true, cell: (a) => a.attempt_no },
      { title: "status", width: "96px", cell: (a) => statusEl(a.status) },
      { title: "executor", width: "90px", cell: (a) => h("span", { class: "mono" }, short(a.executor_id)) },
      { title: "claimed", width: "140px", cell: (a) => when(a.claimed_at) },
      { title: "ran for", width: "80px", num: true, cell: (a) => duration(between(a.started_at, a.finished_at)) },
      { title: "error", cell: (a) => oneLine(a.error_class ? `${a.error_class}: ${a.error_message || ""}` : "") },
    ], attempts, { empty: "not claimed yet" }),
    h("h2", {}, "artifacts"),
    table([
      { title: "phase", width: "120px", cell: (a) => a.phase },
      { title: "name", width: "220px", cell: (a) => a.name },
      { title: "size", width: "90px", num: true, cell: (a) => `${a.size_bytes} B` },
      { title: "sha256", width: "150px", cell: (a) => h("span", { class: "mono", title: a.sha256 }, `${a.sha256.slice(0, 16)}…`) },
      { title: "last verification", width: "200px", cell: (a) => { const v = verification.get(a.id); return v ? h("span", { class: v.ok ? "s-ok" : "s-mismatch" }, `${v.ok ? "ok" : "FAILED"} · ${when(v.ts)}`) : "never"; } },
      { title: "uri", cell: (a) => h("span", { class: "mono" }, a.uri) },
    ], artifacts, { empty: "no artifacts" }),
    h("h2", {}, "events ", h("label", { class: "muted" }, h("input", { type: "checkbox", id: "artifact-events", checked: state.showArtifactEvents,
      onchange: (ev) => { state.showArtifactEvents = ev.target.checked; show(false); } }), " include artifact events")),
    table([
      { title: "time", width: "150px", cell: (e) => when(e.ts) },
      { title: "level", width: "70px", cell: (e) => h("span", { class: e.level === "error" || e.level === "critical" ? "error" : null }, e.level) },
      { title: "type", width: "170px", cell: (e) => e.type },
      { title: "phase", width: "100px", cell: (e) => e.phase || "" },
      { title: "message", cell: (e) => oneLine(e.message) },
    ], events.filter((e) => state.showArtifactEvents || !e.type.startsWith("artifact.")), { empty: "no events" }),
  );
  for (const [id, top] of logScroll) { const pre = document.querySelector(`.fulllog[data-artifact="${id}"] pre`); if (pre) pre.scrollTop = top; }
  if (!fresh) { window.scrollTo(0, scroll); if (focusedId) document.getElementById(focusedId)?.focus(); }
}

// replaceChildren() would print a null as "null": drop the parts a view leaves out.
function setView(...parts) {
  view.replaceChildren(...parts.flat(Infinity).filter((p) => p !== null && p !== undefined && p !== false));
}

function fact(label, value) {
  return [h("dt", {}, label), h("dd", {}, value)];
}

function gantt(phases) {
  if (!phases.length) return h("p", { class: "muted" }, "no phase has started");
  const starts = phases.map((p) => new Date(p.started_at || p.finished_at).getTime());
  const ends = phases.map((p) => (p.finished_at ? new Date(p.finished_at).getTime() : Date.now()));
  const t0 = Math.min(...starts), span = Math.max(Math.max(...ends) - t0, 1);
  return h("div", { class: "gantt card", id: "gantt" }, phases.flatMap((p, i) => {
    const bar = h("div", { class: `bar s-${p.status}`, title: `${p.phase}: ${p.status}` });
    bar.style.left = `${((starts[i] - t0) / span) * 100}%`;
    bar.style.width = `${((ends[i] - starts[i]) / span) * 100}%`;
    const took = typeof p.duration_seconds === "number" ? p.duration_seconds : (ends[i] - starts[i]) / 1000;
    const exit = p.exit_code === null || p.exit_code === undefined ? "" : ` · exit ${p.exit_code}`;
    return [
      h("div", {}, h("strong", {}, p.phase), " ", statusEl(p.status)),
      h("div", { class: "track" }, bar),
      h("div", { class: "cap" }, `${duration(took)}${exit}`, p.breach ? h("div", { class: "error" }, `cap: ${capText(p.breach)}`) : null),
    ];
  }));
}

function logsSection(run, phases, artifacts, events) {
  if (!phases.length) return h("p", { class: "muted" }, "no logs yet");
  // The log objects of the attempt the phases are from (a retried run has one set per attempt).
  const latest = [...events].reverse().find((e) => (e.type === "phase.started" || e.type === "phase.finished") && e.attempt_id);
  const ofLatest = artifacts.filter((a) => a.name.startsWith("logs/") && (!latest || a.attempt_id === latest.attempt_id));
  return h("div", {}, phases.map((p) => {
    const streams = ["stderr", "stdout"].filter((s) => p.tails[s]);
    const full = ofLatest.filter((a) => a.phase === p.phase);
    return h("div", { class: "card", "data-phase": p.phase },
      h("strong", {}, p.phase),
      streams.length ? streams.map((s) => [h("div", { class: "muted" }, `${s}: last ${p.tails[s].tail.length} lines of ${p.tails[s].lines} (${p.tails[s].bytes} bytes)`),
        h("pre", { class: `log log-${s}` }, p.tails[s].tail.join("\n"))]) : h("div", { class: "muted" }, "no output"),
      full.length ? h("div", { class: "fulllog-bar" }, "full log: ",
        full.map((a) => h("button", {
          type: "button", class: "fulllog-btn", id: `full-${p.phase}-${a.name.replace(/[^A-Za-z0-9_-]/g, "-")}`,
          "aria-expanded": fullLogs.has(a.id) ? "true" : "false", "aria-controls": `fulllog-${a.id}`,
          onclick: () => toggleFullLog(a),
        }, `${fullLogs.has(a.id) ? "hide" : "show"} ${a.name.replace(/^logs\//, "")}`)),
        h("span", { class: "muted" }, " · or ", h("code", {}, `controlroom logs ${short(run.run_id)} --phase ${p.phase}`))) : null,
      full.filter((a) => fullLogs.has(a.id)).map(fullLogPanel));
  }));
}

// -- the full log on demand: the artifact-download Edge Function, with the session's token ------------
// State outlives the 5 s re-render: artifact id → {state: loading|ok|error, text, note}. The panel has a
// fixed height from the first click (loading, then text), so nothing below it moves when it arrives.
const fullLogs = new Map();

async function toggleFullLog(a) {
  if (fullLogs.has(a.id)) { fullLogs.delete(a.id); show(false); return; }
  fullLogs.set(a.id, { state: "loading", text: "", note: `reading ${a.name} (${a.size_bytes} bytes)…` });
  show(false);
  const { data, error, response } = await db.functions.invoke(`artifact-download?artifact_id=${a.id}`, { method: "GET" });
  if (!fullLogs.has(a.id)) return; // hidden meanwhile
  if (error) {
    let reason = error.message;
    try { const body = await error.context.json(); reason = `${body.code || body.msg || ""} ${body.message || ""} ${body.details || ""}`.trim(); } catch { /* not JSON */ }
    fullLogs.set(a.id, { state: "error", text: "", note: `could not read the full log: ${reason}` });
  } else {
    const verified = response.headers.get("X-Artifact-Verified") === "sha256" && response.headers.get("X-Artifact-Sha256") === a.sha256;
    fullLogs.set(a.id, {
      state: verified ? "ok" : "error", text: verified ? data : "",
      note: verified ? `sha256 verified · ${a.sha256.slice(0, 16)}… · ${a.size_bytes} bytes` : "the answer was not verified against the recorded sha256: not shown",
    });
  }
  show(false);
}

function fullLogPanel(a) {
  const entry = fullLogs.get(a.id);
  return h("div", { class: "fulllog", id: `fulllog-${a.id}`, "data-artifact": a.id },
    h("div", { class: `fulllog-note ${entry.state === "ok" ? "s-ok" : entry.state === "error" ? "error" : "muted"}`, role: "status" }, entry.note),
    h("pre", { class: "log fulllog-text", tabindex: "0", "aria-label": `full log ${a.phase} ${a.name}` }, entry.text));
}

// -- queues ---------------------------------------------------------------------------------------

async function queuesView(_arg, _fresh, current) {
  const [depth, executors] = await Promise.all([q(db.from("queue_depth_by_pool").select("*")), q(db.from("executor_health").select("executor_id,pool,labels,health"))]);
  const pools = new Map();
  for (const r of depth) {
    const p = pools.get(r.pool) || { pool: r.pool, queued: 0, ready: 0, running: 0, oldest: null };
    p.queued += r.queued; p.ready += r.ready; p.running += r.claimed + r.running;
    if (r.oldest_queued_at && (!p.oldest || r.oldest_queued_at < p.oldest)) p.oldest = r.oldest_queued_at;
    pools.set(r.pool, p);
  }
  await Promise.all([...pools.values()].map(async (p) => {
    // The head is the run claim_runs would take next (score order, then age); why it waits is
    // the control plane's answer (explain_wait).
    const head = await q(db.from("runs").select("id").eq("pool", p.pool).eq("status", "queued").order("score", { ascending: false }).order("created_at").limit(1));
    p.head = head[0] || null;
    p.healthy = executors.filter((x) => x.pool === p.pool && x.health === "healthy").length;
    const waits = p.head ? await q(db.rpc("explain_wait", { run_id: p.head.id })) : [];
    p.reason = waits.length ? waits[0].message : "";
  }));
  if (!current()) return;
  ensureShell("queues", "Queues per pool", () => table(QUEUE_COLUMNS, []));
  patchRows(view.querySelector("tbody"), QUEUE_COLUMNS, [...pools.values()], "nothing queued or running");
}

const QUEUE_COLUMNS = [
  { title: "pool", width: "140px", cell: (p) => p.pool },
  { title: "queued", width: "72px", num: true, cell: (p) => p.queued },
  { title: "ready", width: "64px", num: true, cell: (p) => p.ready },
  { title: "running", width: "72px", num: true, cell: (p) => p.running },
  { title: "oldest queued", width: "124px", num: true, cell: (p) => (p.oldest ? duration(between(p.oldest, null)) : "") },
  { title: "healthy executors", width: "150px", num: true, cell: (p) => p.healthy },
  { title: "head", width: "90px", cell: (p) => (p.head ? h("a", { href: `#/run/${p.head.id}`, class: "mono" }, short(p.head.id)) : "") },
  { title: "why the head waits", cell: (p) => p.reason },
];

function ensureShell(id, title, build) {
  if (view.dataset.shell !== id) {
    view.dataset.shell = id;
    view.replaceChildren(h("h1", {}, title), build());
  }
}

// -- executors ------------------------------------------------------------------------------------

async function executorsView(_arg, _fresh, current) {
  const [rows, runs] = await Promise.all([
    q(db.from("executor_health").select("*").order("registered_at", { ascending: false })),
    q(db.from("run_board").select("run_id,executor_id,spec_name").in("status", ["claimed", "running"])),
  ]);
  if (!current()) return;
  for (const x of rows) x.runs = runs.filter((r) => r.executor_id === x.executor_id);
  ensureShell("executors", "Executors", () => table(EXECUTOR_COLUMNS, []));
  patchRows(view.querySelector("tbody"), EXECUTOR_COLUMNS, rows,
    "no executors visible to you: RLS shows members only the executors confined to their workspaces (shared executors need the service role)");
}

const EXECUTOR_COLUMNS = [
  { title: "executor", width: "92px", cell: (x) => h("span", { class: "mono" }, short(x.executor_id)) },
  { title: "pool", width: "120px", cell: (x) => x.pool },
  { title: "health", width: "90px", cell: (x) => statusEl(x.health) },
  { title: "last seen", width: "110px", num: true, cell: (x) => ago(x.last_seen_at) },
  { title: "host", width: "150px", cell: (x) => x.host || "" },
  { title: "version", width: "80px", cell: (x) => x.version || "" },
  { title: "labels", width: "160px", cell: (x) => Object.entries(x.labels || {}).map(([k, v]) => `${k}=${v}`).join(", ") },
  { title: "current runs", cell: (x) => (x.runs.length ? h("span", {}, x.runs.map((r, i) => [i ? ", " : "", h("a", { href: `#/run/${r.run_id}`, class: "mono" }, short(r.run_id))])) : "idle") },
];

// -- alerts (placeholder) ---------------------------------------------------------------------------

// Open and acknowledged alerts, highest score first (the alert score: severity, runs affected,
// deadlines, spec criticality; `controlroom alerts show` explains it). Ack and resolve go through
// the RPCs, so RLS and the workspace role decide, not the page (a viewer is refused with 42501).
async function alertsView(_arg, _fresh, current) {
  const rows = await q(db.from("alerts")
    .select("id,workspace_id,route_name,signal_type,severity,status,tier,subject,opened_at,acknowledged_at,acknowledged_by,last_signal_at,signal_count,runs_affected,next_escalation_at,score")
    .in("status", ["open", "acknowledged"]).order("score", { ascending: false }).order("opened_at").limit(200));
  if (!current()) return;
  ensureShell("alerts", "Alerts", () => h("div", {},
    h("p", { class: "muted" }, "Open and acknowledged alerts of your workspaces, highest score first. Acknowledging stops escalation; resolving closes the alert (it reopens if the problem recurs)."),
    h("p", { class: "error", id: "alert-error", role: "alert" }),
    table(ALERT_COLUMNS, [])));
  patchRows(view.querySelector("tbody"), ALERT_COLUMNS, rows, "no open alerts");
}

async function actOnAlert(fn, alertId) {
  const out = document.getElementById("alert-error");
  try {
    await q(db.rpc(fn, { alert_id: alertId }));
    out.textContent = "";
  } catch (e) {
    out.textContent = `${fn.replace("_alert", "")} refused: ${e.message}`;
  }
  show(false);
}

function alertSubject(a) {
  const s = a.subject || {};
  if (s.run_id) return h("a", { href: `#/run/${s.run_id}`, class: "mono" }, `run ${short(s.run_id)}`);
  return [s.spec && `spec ${s.spec}`, s.pool && `pool ${s.pool}`, s.executor_id && `executor ${short(s.executor_id)}`].filter(Boolean).join(", ") || "workspace";
}

function escalation(a) {
  if (a.status === "acknowledged") return `tier ${a.tier}, stopped (acked by ${a.acknowledged_by || "?"})`;
  if (a.next_escalation_at) return `tier ${a.tier}, next ${duration(between(new Date().toISOString(), a.next_escalation_at))}`;
  return `tier ${a.tier}, last tier`;
}

const ALERT_COLUMNS = [
  { title: "severity", width: "84px", cell: (a) => h("span", { class: `sev sev-${a.severity}` }, a.severity) },
  { title: "signal", width: "150px", cell: (a) => a.signal_type },
  { title: "subject", width: "150px", cell: alertSubject },
  { title: "workspace", width: "120px", cell: (a) => slug(a.workspace_id) },
  { title: "status", width: "110px", cell: (a) => a.status },
  { title: "escalation", width: "190px", cell: escalation },
  { title: "opened", width: "90px", num: true, cell: (a) => `${duration(between(a.opened_at, null))} ago` },
  { title: "signals", width: "64px", num: true, cell: (a) => a.signal_count },
  // The hidden id makes the cell's text differ per alert, so patchRows replaces the buttons (and
  // their handlers) when another alert moves into the row.
  { title: "", cell: (a) => h("span", { class: "actions" }, h("span", { class: "key" }, a.id),
    a.status === "open" ? h("button", { type: "button", class: "ack", "data-alert": a.id, onclick: () => actOnAlert("acknowledge_alert", a.id) }, "Ack") : null,
    h("button", { type: "button", class: "resolve", "data-alert": a.id, onclick: () => actOnAlert("resolve_alert", a.id) }, "Resolve")) },
];

// -- usage ------------------------------------------------------------------------------------------

const COLORS = ["#1a73e8", "#e8710a", "#188038", "#d01884", "#9334e6", "#12b5cb", "#b06000", "#5f6368"];

async function usageView(_arg, _fresh, current) {
  const days = 7;
  const start = new Date(); start.setUTCHours(0, 0, 0, 0); start.setUTCDate(start.getUTCDate() - (days - 1));
  // Counted in the database (public.workspace_usage): every attempt, split at midnight of the
  // workspace's budget day, weighted by the pool's cost rate, next to the daily budget.
  const usage = await q(db.rpc("workspace_usage", { since: start.toISOString() }));
  if (!current()) return;
  const perDay = new Map();
  for (const u of usage) {
    const key = `${u.workspace_id}|${u.day}`;
    const row = perDay.get(key) || { ws: u.workspace_id, day: u.day, tz: u.time_zone, seconds: 0, cost: 0, budget: u.daily_budget_seconds };
    row.seconds += u.run_seconds; row.cost += u.cost_seconds;
    perDay.set(key, row);
  }
  const totals = new Map([...perDay].map(([k, r]) => [k, r.seconds]));
  const dayList = [...new Set([...[...Array(days)].map((_, i) => new Date(start.getTime() + i * 86400000).toISOString().slice(0, 10)), ...[...perDay.values()].map((r) => r.day)])].sort();
  const wsList = [...new Set([...perDay.values()].map((r) => r.ws))].sort((a, b) => slug(a).localeCompare(slug(b)));
  const rows = [...perDay.values()].sort((a, b) => (a.day + slug(a.ws)).localeCompare(b.day + slug(b.ws)));
  const burn = (r) => (r.budget ? `${Math.round((r.cost / r.budget) * 100)} %` : "–");
  view.dataset.shell = "usage";
  view.replaceChildren(
    h("h1", {}, "Usage: run time per workspace per day"),
    h("p", { class: "muted" }, `Last ${days} days, each workspace's budget day (UTC unless its limits name a time zone). Run time is attempt start to end; queue time is not counted. Budget burn is cost-seconds (run time × the pool's cost rate) over the daily budget.`),
    h("div", { class: "card chart", id: "usage-chart" }, chart(dayList, wsList, totals),
      h("div", { class: "legend" }, wsList.map((ws, i) => { const s = h("span", { class: "swatch" }); s.style.background = COLORS[i % COLORS.length]; return h("span", {}, s, slug(ws)); }))),
    h("h2", {}, "by day"),
    table([
      { title: "day", width: "110px", cell: (r) => r.day },
      { title: "workspace", width: "180px", cell: (r) => slug(r.ws) },
      { title: "run time", width: "100px", num: true, cell: (r) => duration(r.seconds) },
      { title: "cost-seconds", width: "120px", num: true, cell: (r) => Math.round(r.cost) },
      { title: "budget burn", num: true, cell: burn },
    ], rows, { empty: "no run time in this window" }));
}

function chart(dayList, wsList, totals) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  const W = 900, H = 260, pad = 40, bw = (W - pad * 2) / dayList.length;
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("role", "img");
  const perDay = dayList.map((d) => wsList.reduce((s, ws) => s + (totals.get(`${ws}|${d}`) || 0), 0));
  const max = Math.max(...perDay, 1);
  svg.setAttribute("aria-label", `run seconds per day: ${dayList.map((d, i) => `${d} ${Math.round(perDay[i])}`).join(", ")}`);
  const el = (tag, attrs, text) => { const e = document.createElementNS(ns, tag); for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v); if (text !== undefined) e.textContent = text; svg.append(e); return e; };
  el("line", { x1: pad, y1: H - pad, x2: W - pad, y2: H - pad, stroke: "#999" });
  dayList.forEach((d, i) => {
    let y = H - pad;
    wsList.forEach((ws, j) => {
      const v = totals.get(`${ws}|${d}`) || 0;
      if (!v) return;
      const hgt = (v / max) * (H - pad * 2);
      y -= hgt;
      el("rect", { x: pad + i * bw + bw * 0.15, y, width: bw * 0.7, height: Math.max(hgt, 1), fill: COLORS[j % COLORS.length] }).append(
        Object.assign(document.createElementNS(ns, "title"), { textContent: `${slug(ws)} ${d}: ${duration(v)}` }));
    });
    el("text", { x: pad + i * bw + bw / 2, y: H - pad + 16, "text-anchor": "middle", "font-size": 12, fill: "#555" }, d.slice(5));
    if (perDay[i]) el("text", { x: pad + i * bw + bw / 2, y: y - 4, "text-anchor": "middle", "font-size": 12, fill: "#333" }, duration(perDay[i]));
  });
  return svg;
}

// -- keyboard ---------------------------------------------------------------------------------------

document.addEventListener("keydown", (ev) => {
  if (ev.altKey || ev.ctrlKey || ev.metaKey) return;
  const typing = ["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement?.tagName);
  if (typing) { if (ev.key === "Escape") document.activeElement.blur(); return; }
  const views = { 1: "runs", 2: "queues", 3: "executors", 4: "alerts", 5: "usage" };
  if (views[ev.key]) { location.hash = `#/${views[ev.key]}`; ev.preventDefault(); }
  else if (ev.key === "/" && document.getElementById("search")) { document.getElementById("search").focus(); ev.preventDefault(); }
  else if (ev.key === "j" || ev.key === "k") {
    const links = [...view.querySelectorAll("tbody td:first-child a")];
    if (!links.length) return;
    const i = links.indexOf(document.activeElement);
    links[Math.max(0, Math.min(links.length - 1, i + (ev.key === "j" ? 1 : -1)))].focus();
    ev.preventDefault();
  }
});

// -- start ------------------------------------------------------------------------------------------

window.addEventListener("hashchange", () => { view.dataset.shell = ""; show(true).then(() => view.focus({ preventScroll: true })); });

(async () => {
  if (!(await connect())) return;
  try {
    workspaces = new Map((await q(db.from("workspaces").select("id,slug").order("slug"))).map((w) => [w.id, w.slug]));
  } catch { /* the board still works with short ids */ }
  await show(true);
  startPolling();
})();
