// The alert dispatcher's logic: claim due deliveries from the outbox, send each (a signed JSON webhook
// or a Slack-compatible message), record every attempt. Free of Deno-only APIs (fetch, AbortController,
// crypto.subtle and TextEncoder are globals in Deno, Node 20 and the Supabase Edge Runtime), so the same
// module runs under all three; index.ts (Deno.serve) and local.ts (the local runner) are the entry points.
//
// Delivery is at least once: a dispatcher that dies between sending and finish_delivery leaves a leased
// delivery whose lease expires and which is claimed and sent again, with the same X-Controlroom-Delivery
// id, so a receiver can drop the repeat. Two live dispatchers never send one delivery: the claim is
// FOR UPDATE SKIP LOCKED with a lease token, and finish_delivery is fenced by that token.

export const SIGNATURE_HEADER = "X-Controlroom-Signature";
export const TIMESTAMP_HEADER = "X-Controlroom-Timestamp";
export const DELIVERY_HEADER = "X-Controlroom-Delivery";
export const ATTEMPT_HEADER = "X-Controlroom-Attempt";
export const USER_AGENT = "controlroom-alert-dispatch/1";

const ERROR_TEXT_LIMIT = 500; // characters of a failure kept in alert_delivery_attempts.error
const BODY_EXCERPT_LIMIT = 200; // characters of a failing answer's body quoted in the error

export interface RpcError {
  message: string;
  code?: string;
  details?: string | null;
  hint?: string | null;
}

// What the dispatcher needs of a Supabase client: supabase-js's `rpc` fits this shape.
export interface RpcClient {
  rpc(fn: string, args: Record<string, unknown>): PromiseLike<{ data: unknown; error: RpcError | null }>;
}

export interface Target {
  name: string;
  kind: "webhook" | "slack" | string;
  url_secret: string;
  signing_secret?: string | null;
}

export interface Delivery {
  id: string;
  lease_token: string;
  attempt: number;
  alert_id: string;
  group_id?: string | null;
  tier: number;
  target: Target;
  payload: Record<string, unknown>;
}

export interface AttemptResult {
  delivery_id: string;
  lease_token: string;
  target: string;
  outcome: "sent" | "failed";
  status_code: number | null;
  latency_ms: number;
  error: string | null;
  recorded: string; // what finish_delivery said: recorded, rejected, duplicate, or "unrecorded: …"
}

export interface DispatchSummary {
  dispatcher: string;
  claimed: number;
  sent: number;
  failed: number;
  results: AttemptResult[];
}

export type SecretLookup = (name: string) => string | undefined;
export type Fetch = (input: string, init: RequestInit) => Promise<Response>;

export interface DispatchOptions {
  dispatcher: string;
  secret: SecretLookup; // resolves url_secret / signing_secret NAMES at send time
  maxDeliveries?: number; // per claim (default 50)
  leaseSeconds?: number; // must outlast timeoutMs (default 30)
  concurrency?: number; // sends in flight at once (default 8)
  timeoutMs?: number; // per request (default 10,000)
  fetch?: Fetch;
  now?: () => number; // epoch milliseconds (tests)
}

export const DEFAULTS = { maxDeliveries: 50, leaseSeconds: 30, concurrency: 8, timeoutMs: 10_000 };

export class DispatchError extends Error {
  constructor(message: string, readonly code?: string) {
    super(message);
    this.name = "DispatchError";
  }
}

// -- signing -------------------------------------------------------------------------------------

const encoder = new TextEncoder();

function hex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** `sha256=<hex>`: HMAC-SHA256 with `key` over `<timestamp>.<raw body>`. The timestamp is signed with
 * the body so a captured request cannot be replayed later with a fresh timestamp; receivers refuse
 * timestamps older than a few minutes (docs/alerting.md, "Verifying a webhook"). */
export async function sign(key: string, timestamp: number, body: string): Promise<string> {
  const cryptoKey = await crypto.subtle.importKey(
    "raw",
    encoder.encode(key),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", cryptoKey, encoder.encode(`${timestamp}.${body}`));
  return `sha256=${hex(mac)}`;
}

/** What a receiver does: recompute, compare in constant time, refuse stale timestamps. */
export async function verify(
  key: string,
  header: { signature: string | null; timestamp: string | null },
  body: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): Promise<boolean> {
  if (!header.signature || !header.timestamp || !/^\d+$/.test(header.timestamp)) return false;
  const timestamp = Number(header.timestamp);
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const expected = await sign(key, timestamp, body);
  if (expected.length !== header.signature.length) return false;
  let diff = 0;
  for (let i = 0; i < expected.length; i++) diff |= expected.charCodeAt(i) ^ header.signature.charCodeAt(i);
  return diff === 0;
}

// -- payloads ------------------------------------------------------------------------------------

/** The generic webhook's JSON: the outbox payload (the group notification as the database rendered
 * it: group key and labels, status, and `alerts`, every alert it carries with its state) wrapped with
 * the delivery's identity, so a receiver can deduplicate and order. Version 2 added the group; the
 * first alert's fields of version 1 (alert_id, signal_type, subject, …) are still at the top. */
export function webhookBody(delivery: Delivery): Record<string, unknown> {
  return {
    type: "controlroom.alert",
    version: 2,
    delivery_id: delivery.id,
    attempt: delivery.attempt,
    alert_id: delivery.alert_id,
    group_id: delivery.group_id ?? null,
    tier: delivery.tier,
    target: delivery.target.name,
    ...delivery.payload,
  };
}

/** Lines a Slack message shows of a group's alerts; the rest is counted (a section's text is at most
 * 3,000 characters). */
export const SLACK_LIST_MAX = 20;

/** The group's alerts as mrkdwn lines (state, what, short id), or null when the payload has none. */
export function alertList(payload: Record<string, unknown>): string | null {
  const alerts = Array.isArray(payload.alerts) ? payload.alerts.map(record) : [];
  if (alerts.length === 0) return null;
  const lines = alerts.slice(0, SLACK_LIST_MAX).map((a) => {
    const status = text(a.status) ?? "open";
    const mark = status === "resolved" ? ":white_check_mark:" : SEVERITY_EMOJI[text(a.severity) ?? "info"] ?? "";
    const what = text(a.summary) ?? text(a.signal_type) ?? "alert";
    const id = (text(a.alert_id) ?? "").slice(0, 8);
    return `${mark} ${what} · ${status}${id ? ` · \`${id}\`` : ""}`.trim();
  });
  const omitted = typeof payload.alerts_omitted === "number" ? payload.alerts_omitted : 0;
  const more = alerts.length - lines.length + omitted;
  if (more > 0) lines.push(`… and ${more} more`);
  const joined = lines.join("\n");
  return joined.length > 2900 ? `${joined.slice(0, 2899)}…` : joined;
}

const SEVERITY_EMOJI: Record<string, string> = {
  critical: ":red_circle:",
  warning: ":warning:",
  info: ":information_source:",
};

function text(value: unknown): string | null {
  return typeof value === "string" && value.length > 0 ? value : typeof value === "number" ? String(value) : null;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : {};
}

/** A Slack incoming-webhook message (`text` for notifications, `blocks` for the channel), built only
 * from the fields the payload has (private.alert_payload renders it: summary, severity, subject, …).
 * Mattermost and Rocket.Chat accept the same shape. */
export function slackBody(delivery: Delivery): Record<string, unknown> {
  const p = delivery.payload;
  const subject = record(p.subject);
  const severity = text(p.severity) ?? "info";
  const title = text(p.summary) ??
    `[${severity.toUpperCase()}] ${[text(p.signal_type) ?? "alert", text(subject.spec)].filter(Boolean).join(" of ")}`;
  const headline = `${SEVERITY_EMOJI[severity] ?? ""} ${title}`.trim();
  const facts: string[] = [];
  for (
    const [label, value] of [
      ["change", p.change],
      ["status", p.status],
      ["route", p.route],
      ["group", p.group_key],
      [
        "alerts",
        typeof p.alerts_firing === "number"
          ? `${p.alerts_firing} firing, ${typeof p.alerts_resolved === "number" ? p.alerts_resolved : 0} resolved`
          : null,
      ],
      ["spec", subject.spec],
      ["pool", subject.pool],
      ["run", subject.run_id],
      ["signals", p.signal_count],
      ["tier", delivery.tier],
    ] as const
  ) {
    const shown = text(value);
    if (shown) facts.push(`*${label}:* ${shown}`);
  }
  const blocks: Record<string, unknown>[] = [{ type: "section", text: { type: "mrkdwn", text: `*${headline}*` } }];
  if (facts.length) blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: facts.join("  ·  ") }] });
  const list = alertList(p);
  if (list) blocks.push({ type: "section", text: { type: "mrkdwn", text: list } });
  blocks.push({
    type: "context",
    elements: [{
      type: "mrkdwn",
      text: `alert \`${delivery.alert_id}\` · \`controlroom alerts ack ${delivery.alert_id}\``,
    }],
  });
  return { text: headline, blocks };
}

export interface PreparedRequest {
  url: string;
  init: RequestInit;
}

/** The HTTP request for one delivery, or the reason it cannot be made (a secret that is not set). */
export async function prepare(
  delivery: Delivery,
  secret: SecretLookup,
  nowMs: number,
): Promise<PreparedRequest | { error: string }> {
  const target = delivery.target;
  const url = secret(target.url_secret);
  if (!url) {
    return {
      error: `secret ${target.url_secret} (URL of target ${target.name}) is not set in the dispatcher's environment`,
    };
  }
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    "User-Agent": USER_AGENT,
  };
  let body: string;
  if (target.kind === "slack") {
    body = JSON.stringify(slackBody(delivery));
  } else if (target.kind === "webhook") {
    body = JSON.stringify(webhookBody(delivery));
    headers[DELIVERY_HEADER] = delivery.id;
    headers[ATTEMPT_HEADER] = String(delivery.attempt);
    if (target.signing_secret) {
      const key = secret(target.signing_secret);
      if (!key) {
        return {
          error:
            `secret ${target.signing_secret} (signing key of target ${target.name}) is not set in the dispatcher's environment`,
        };
      }
      const timestamp = Math.floor(nowMs / 1000);
      headers[TIMESTAMP_HEADER] = String(timestamp);
      headers[SIGNATURE_HEADER] = await sign(key, timestamp, body);
    }
  } else {
    return { error: `target ${target.name} has kind ${target.kind}, which this dispatcher cannot send` };
  }
  return { url, init: { method: "POST", headers, body, redirect: "manual" } };
}

function clip(message: string, limit = ERROR_TEXT_LIMIT): string {
  return message.length <= limit ? message : `${message.slice(0, limit - 1)}…`;
}

/** Send one delivery; never throws: every way it can go wrong is an outcome with an error text. */
export async function send(
  delivery: Delivery,
  options: Pick<DispatchOptions, "secret" | "timeoutMs" | "fetch" | "now">,
): Promise<Omit<AttemptResult, "recorded">> {
  const now = options.now ?? Date.now;
  const doFetch: Fetch = options.fetch ?? ((input, init) => fetch(input, init));
  const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
  const base = { delivery_id: delivery.id, lease_token: delivery.lease_token, target: delivery.target.name };
  const started = now();
  const prepared = await prepare(delivery, options.secret, started);
  if ("error" in prepared) {
    return { ...base, outcome: "failed", status_code: null, latency_ms: 0, error: prepared.error };
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await doFetch(prepared.url, { ...prepared.init, signal: controller.signal });
    const answer = await response.text().catch(() => "");
    const latency = Math.max(0, Math.round(now() - started));
    if (response.status >= 200 && response.status < 300) {
      return { ...base, outcome: "sent", status_code: response.status, latency_ms: latency, error: null };
    }
    const excerpt = answer.replace(/\s+/g, " ").trim().slice(0, BODY_EXCERPT_LIMIT);
    return {
      ...base,
      outcome: "failed",
      status_code: response.status,
      latency_ms: latency,
      error: clip(`HTTP ${response.status}${excerpt ? `: ${excerpt}` : ""}`),
    };
  } catch (caught) {
    const latency = Math.max(0, Math.round(now() - started));
    const message = controller.signal.aborted
      ? `timed out after ${timeoutMs} ms`
      : `request failed: ${caught instanceof Error ? caught.message : String(caught)}`;
    // The URL is a secret: never echo it (fetch errors may quote it).
    return {
      ...base,
      outcome: "failed",
      status_code: null,
      latency_ms: latency,
      error: clip(message.replaceAll(prepared.url, "<url>")),
    };
  } finally {
    clearTimeout(timer);
  }
}

// -- the outbox ------------------------------------------------------------------------------------

function rpcFailure(fn: string, error: RpcError): DispatchError {
  return new DispatchError(`${fn} failed: ${error.message}${error.hint ? ` (hint: ${error.hint})` : ""}`, error.code);
}

export async function claim(client: RpcClient, options: DispatchOptions): Promise<Delivery[]> {
  const { data, error } = await client.rpc("claim_deliveries", {
    dispatcher: options.dispatcher,
    max_deliveries: options.maxDeliveries ?? DEFAULTS.maxDeliveries,
    lease_seconds: options.leaseSeconds ?? DEFAULTS.leaseSeconds,
  });
  if (error) throw rpcFailure("claim_deliveries", error);
  const deliveries = (data as { deliveries?: Delivery[] } | null)?.deliveries;
  return Array.isArray(deliveries) ? deliveries : [];
}

export async function finish(client: RpcClient, result: Omit<AttemptResult, "recorded">): Promise<string> {
  try {
    const { data, error } = await client.rpc("finish_delivery", {
      lease_token: result.lease_token,
      outcome: result.outcome,
      status_code: result.status_code,
      latency_ms: result.latency_ms,
      error: result.error,
    });
    if (error) return `unrecorded: ${error.message}`;
    const outcome = (data as { outcome?: string } | null)?.outcome;
    return typeof outcome === "string" ? outcome : "recorded";
  } catch (caught) {
    // Unrecorded: the lease expires and the delivery is claimed again (at least once, never lost).
    return `unrecorded: ${caught instanceof Error ? caught.message : String(caught)}`;
  }
}

/** Run `work` over `items` with at most `limit` in flight; results in input order. */
export async function bounded<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]);
    }
  });
  await Promise.all(lanes);
  return results;
}

/** One round: claim what is due (the claim also runs the due escalation work), send it all with
 * bounded concurrency (a slow or failing target holds one lane, never the others), record each. */
export async function dispatchOnce(client: RpcClient, options: DispatchOptions): Promise<DispatchSummary> {
  const deliveries = await claim(client, options);
  const results = await bounded(deliveries, options.concurrency ?? DEFAULTS.concurrency, async (delivery) => {
    const attempt = await send(delivery, options);
    return { ...attempt, recorded: await finish(client, attempt) };
  });
  return {
    dispatcher: options.dispatcher,
    claimed: deliveries.length,
    sent: results.filter((r) => r.outcome === "sent").length,
    failed: results.filter((r) => r.outcome === "failed").length,
    results,
  };
}

// -- the HTTP handler (Deno.serve on the Edge Runtime, the local runner) --------------------------

export interface HandlerDeps {
  client: RpcClient;
  secret: SecretLookup;
  token: string; // the bearer a caller must present (the service-role key pg_net sends)
  dispatcher: string;
  options?: Partial<DispatchOptions>;
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

/** POST → one dispatch round, answered with its summary. Anything else, or a caller without the
 * expected bearer, is refused before the outbox is touched. */
export function makeHandler(deps: HandlerDeps): (request: Request) => Promise<Response> {
  return async (request) => {
    if (request.method !== "POST") return json(405, { error: "POST to run a dispatch round" });
    const auth = request.headers.get("Authorization") ?? "";
    if (!deps.token || auth !== `Bearer ${deps.token}`) {
      return json(401, { error: "the dispatcher is called with the service-role key as bearer" });
    }
    try {
      const summary = await dispatchOnce(deps.client, {
        ...deps.options,
        dispatcher: deps.dispatcher,
        secret: deps.secret,
      });
      return json(200, summary);
    } catch (caught) {
      const error = caught instanceof DispatchError ? caught : new DispatchError(String(caught));
      return json(502, { error: error.message, code: error.code ?? null });
    }
  };
}

/** The environment variables an entry point needs, each checked (no unchecked `as string`). */
export function requireEnv(
  get: (name: string) => string | undefined,
  names: readonly string[],
): Record<string, string> {
  const values: Record<string, string> = {};
  const missing: string[] = [];
  for (const name of names) {
    const value = get(name);
    if (value) values[name] = value;
    else missing.push(name);
  }
  if (missing.length) throw new DispatchError(`missing environment variable(s): ${missing.join(", ")}`);
  return values;
}
