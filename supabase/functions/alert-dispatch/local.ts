// The local runner of alert-dispatch (`controlroom up` starts it, `controlroom down` stops it): serves
// the same handler as the Edge Function on 127.0.0.1:CONTROLROOM_FUNCTIONS_PORT and, so that a signal
// reaches its receiver within a second or two, runs a dispatch round every
// CONTROLROOM_DISPATCH_INTERVAL_MS (default 250) instead of waiting for pg_cron's minute.
//
// Secrets (the targets' URL and signing-key variables) are looked up at send time in this process's
// environment, then in CONTROLROOM_DISPATCH_SECRETS_FILE (KEY=VALUE lines; re-read when it changes, so
// a target can be added without a restart).
//
// SIGTERM/SIGINT: stop claiming, finish the round in flight (its attempts are recorded), exit. A second
// signal exits at once; whatever was leased then is claimed again when its lease expires.
import { createClient } from "@supabase/supabase-js";
import { DEFAULTS, dispatchOnce, type DispatchOptions, makeHandler, requireEnv } from "./dispatch.ts";

const env = requireEnv((name) => Deno.env.get(name), ["SUPABASE_URL", "SUPABASE_SERVICE_ROLE_KEY"]);
const client = createClient(env.SUPABASE_URL, env.SUPABASE_SERVICE_ROLE_KEY, {
  auth: { persistSession: false, autoRefreshToken: false },
});

function intEnv(name: string, fallback: number): number {
  const raw = Deno.env.get(name);
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name}=${raw} is not a whole number`);
  return value;
}

const secretsFile = Deno.env.get("CONTROLROOM_DISPATCH_SECRETS_FILE") ?? "";
let fileSecrets: Record<string, string> = {};
let fileStamp = "";

function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match || line.trimStart().startsWith("#")) continue;
    out[match[1]] = match[2].replace(/^(['"])(.*)\1$/, "$2");
  }
  return out;
}

function secret(name: string): string | undefined {
  const fromEnv = Deno.env.get(name);
  if (fromEnv) return fromEnv;
  if (!secretsFile) return undefined;
  try {
    const info = Deno.statSync(secretsFile);
    const stamp = `${info.mtime?.getTime()}:${info.size}`;
    if (stamp !== fileStamp) {
      fileSecrets = parseEnvFile(Deno.readTextFileSync(secretsFile));
      fileStamp = stamp;
    }
  } catch {
    fileSecrets = {};
    fileStamp = "";
  }
  return fileSecrets[name] || undefined;
}

const options: DispatchOptions = {
  dispatcher: Deno.env.get("CONTROLROOM_DISPATCHER") ?? `local-${Deno.pid}`,
  secret,
  maxDeliveries: intEnv("CONTROLROOM_DISPATCH_MAX", DEFAULTS.maxDeliveries),
  leaseSeconds: intEnv("CONTROLROOM_DISPATCH_LEASE_SECONDS", DEFAULTS.leaseSeconds),
  concurrency: intEnv("CONTROLROOM_DISPATCH_CONCURRENCY", DEFAULTS.concurrency),
  timeoutMs: intEnv("CONTROLROOM_DISPATCH_TIMEOUT_MS", DEFAULTS.timeoutMs),
};
const intervalMs = intEnv("CONTROLROOM_DISPATCH_INTERVAL_MS", 250);
const port = intEnv("CONTROLROOM_FUNCTIONS_PORT", 0);

function log(action: string, fields: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ ts: new Date().toISOString(), action, dispatcher: options.dispatcher, ...fields }));
}

let stopping = false;
let wake: (() => void) | null = null;
for (const sig of ["SIGTERM", "SIGINT"] as const) {
  Deno.addSignalListener(sig, () => {
    if (stopping) Deno.exit(130);
    stopping = true;
    log("stopping", { signal: sig });
    wake?.();
  });
}

const server = port
  ? Deno.serve(
    { hostname: "127.0.0.1", port, onListen: () => log("listening", { port }) },
    makeHandler({ client, secret, token: env.SUPABASE_SERVICE_ROLE_KEY, dispatcher: options.dispatcher, options }),
  )
  : null;

let failures = 0;
while (!stopping) {
  let busy = false;
  const started = performance.now();
  try {
    const summary = await dispatchOnce(client, options);
    const took = Math.round(performance.now() - started);
    if (took > 1000) log("slow_round", { took_ms: took, claimed: summary.claimed });
    failures = 0;
    busy = summary.claimed >= (options.maxDeliveries ?? DEFAULTS.maxDeliveries);
    for (const result of summary.results) log("delivery", { ...result, lease_token: undefined });
  } catch (caught) {
    // The control plane is down or restarting: back off up to 5 s, never exit (the stack restarts it).
    failures++;
    log("round_failed", { error: caught instanceof Error ? caught.message : String(caught), failures });
  }
  if (busy || stopping) continue;
  const pause = failures ? Math.min(5000, intervalMs * 2 ** failures) : intervalMs;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, pause);
    wake = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  wake = null;
}
await server?.shutdown();
log("stopped");
