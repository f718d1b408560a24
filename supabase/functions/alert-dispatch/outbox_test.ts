// The dispatcher against the real local stack: signals inserted as the database's triggers insert them,
// routed by the published routes into the outbox, claimed through PostgREST with supabase-js, sent to
// real receivers on loopback, recorded by finish_delivery. Needs `eval "$(controlroom env)"` and a stack
// whose own dispatcher is off (CONTROLROOM_ALERT_DISPATCH=off), or it would take these deliveries.
//   deno test --allow-net --allow-env --allow-read --allow-run supabase/functions/alert-dispatch/
import { createClient } from "@supabase/supabase-js";
import { assert, assertEquals, assertMatch } from "../_shared/assert.ts";
import {
  dispatchOnce,
  type DispatchOptions,
  requireEnv,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verify,
} from "./dispatch.ts";

const env = requireEnv((n) => Deno.env.get(n), ["DATABASE_URL", "SUPABASE_URL", "SUPABASE_SERVICE_ROLE_KEY"]);
const client = createClient(env.SUPABASE_URL, env.SUPABASE_SERVICE_ROLE_KEY, {
  auth: { persistSession: false, autoRefreshToken: false },
});

async function stackDispatcherIsRunning(): Promise<boolean> {
  const url = Deno.env.get("CONTROLROOM_FUNCTIONS_URL");
  if (!url) return false;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await response.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

if (await stackDispatcherIsRunning()) {
  throw new Error(
    "the stack's own alert dispatcher is running and would claim these tests' deliveries: start the stack with " +
      "CONTROLROOM_ALERT_DISPATCH=off (scripts/test does)",
  );
}

/** One SQL statement as the database owner (psql), its rows as JSON. */
async function sql<T = Record<string, unknown>>(query: string): Promise<T[]> {
  const wrapped = `with q as (${query}) select coalesce(json_agg(q), '[]') from q`;
  const out = await new Deno.Command("psql", {
    args: ["-X", "-At", "-v", "ON_ERROR_STOP=1", env.DATABASE_URL, "-c", wrapped],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

async function rpc(fn: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const { data, error } = await client.rpc(fn, args);
  if (error) throw new Error(`${fn}: ${error.message}`);
  return data as Record<string, unknown>;
}

const suffix = () => crypto.randomUUID().replaceAll("-", "").slice(0, 10);

/** A fresh workspace with `targets` and one route for run_failed paging them tier by tier. */
async function workspaceWithRoutes(
  targets: Record<string, unknown>,
  escalation: { targets: string[]; after_seconds: number }[],
): Promise<string> {
  const slug = `dt-${suffix()}`;
  const ws = await rpc("create_workspace", { slug, name: slug });
  const id = String(ws.id);
  await rpc("publish_routes", {
    workspace_id: id,
    body: { targets, routes: [{ name: "failures", match: { signal_type: "run_failed" }, escalation }] },
  });
  return id;
}

/** What the run-failed trigger inserts; the routing trigger turns it into an alert and deliveries. */
async function raise(workspaceId: string, fingerprint = `fp-${suffix()}`): Promise<string> {
  await sql(
    `insert into public.alert_signals (workspace_id, spec_name, pool, signal_type, severity, fingerprint, raised_at)
     values ('${workspaceId}', 'hello', 'default', 'run_failed', 'critical', '${fingerprint}', now()) returning id`,
  );
  return fingerprint;
}

type Seen = { headers: Headers; body: string; at: number };

function receiver(reply: (n: number) => Promise<Response> | Response = () => new Response("ok")) {
  const seen: Seen[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (request) => {
    const entry = { headers: request.headers, body: await request.text(), at: performance.now() };
    seen.push(entry);
    return await reply(seen.length);
  });
  return { seen, url: `http://127.0.0.1:${server.addr.port}/`, close: () => server.shutdown() };
}

function options(secrets: Record<string, string>, extra: Partial<DispatchOptions> = {}): DispatchOptions {
  return { dispatcher: `deno-test-${suffix()}`, secret: (n) => secrets[n], timeoutMs: 2000, ...extra };
}

type DeliveryRow = { id: string; status: string; attempts: number; tier: number; target_name: string };
type AttemptRow = { attempt: number; outcome: string; status_code: number | null; error: string | null };

const deliveriesOf = (ws: string) =>
  sql<DeliveryRow>(
    `select id, status, attempts, tier, target_name from public.alert_deliveries where workspace_id = '${ws}'
     order by created_at`,
  );
const attemptsOf = (delivery: string) =>
  sql<AttemptRow>(
    `select attempt, outcome, status_code, error from public.alert_delivery_attempts where delivery_id = '${delivery}'
     order by id`,
  );

Deno.test("a failure's delivery is claimed, sent signed to the webhook, and recorded as sent", async () => {
  const hook = receiver();
  const name = `H${suffix().toUpperCase()}`;
  const secrets = { [`${name}_URL`]: hook.url, [`${name}_KEY`]: "k3y" };
  try {
    const ws = await workspaceWithRoutes(
      { oncall: { kind: "webhook", url_secret: `${name}_URL`, signing_secret: `${name}_KEY` } },
      [{ targets: ["oncall"], after_seconds: 0 }],
    );
    await raise(ws);
    const summary = await dispatchOnce(client, options(secrets));
    const [delivery] = await deliveriesOf(ws);
    const mine = summary.results.filter((r) => r.delivery_id === delivery.id);
    assertEquals(mine.map((r) => [r.outcome, r.status_code, r.recorded]), [["sent", 200, "accepted"]]);
    assertEquals(hook.seen.length, 1);
    const { headers, body } = hook.seen[0];
    assert(
      await verify(
        "k3y",
        { signature: headers.get(SIGNATURE_HEADER), timestamp: headers.get(TIMESTAMP_HEADER) },
        body,
        Date.now() / 1000,
      ),
      "the receiver can verify the signature",
    );
    const payload = JSON.parse(body);
    assertEquals([payload.delivery_id, payload.signal_type, payload.severity, payload.tier], [
      delivery.id,
      "run_failed",
      "critical",
      1,
    ]);
    assertEquals(payload.subject.spec, "hello");
    assertEquals(delivery.status, "sent");
    assertEquals(await attemptsOf(delivery.id), [{ attempt: 1, outcome: "sent", status_code: 200, error: null }]);
  } finally {
    await hook.close();
  }
});

Deno.test("a 500 is recorded and retried after its backoff (2 s), and the retry that succeeds is recorded", async () => {
  const hook = receiver((n) => new Response(n === 1 ? "busy" : "ok", { status: n === 1 ? 500 : 200 }));
  const name = `R${suffix().toUpperCase()}`;
  const secrets = { [`${name}_URL`]: hook.url };
  try {
    const ws = await workspaceWithRoutes({ oncall: { kind: "webhook", url_secret: `${name}_URL` } }, [
      { targets: ["oncall"], after_seconds: 0 },
    ]);
    await raise(ws);
    await dispatchOnce(client, options(secrets));
    let [delivery] = await deliveriesOf(ws);
    assertEquals([delivery.status, delivery.attempts], ["failed", 1]);
    const [due] = await sql<{ wait: number }>(
      `select extract(epoch from next_attempt_at - now()) as wait from public.alert_deliveries where id = '${delivery.id}'`,
    );
    assert(due.wait > 0.5 && due.wait <= 2.0, `the retry waits its backoff: ${due.wait} s`);
    await dispatchOnce(client, options(secrets));
    assertEquals(hook.seen.length, 1, "not retried before its backoff");
    await new Promise((r) => setTimeout(r, Math.ceil(due.wait * 1000) + 100));
    await dispatchOnce(client, options(secrets));
    [delivery] = await deliveriesOf(ws);
    assertEquals([delivery.status, delivery.attempts, hook.seen.length], ["sent", 2, 2]);
    assertEquals(await attemptsOf(delivery.id), [
      { attempt: 1, outcome: "failed", status_code: 500, error: "HTTP 500: busy" },
      { attempt: 2, outcome: "sent", status_code: 200, error: null },
    ]);
    assertEquals(
      hook.seen[0].headers.get("x-controlroom-delivery"),
      hook.seen[1].headers.get("x-controlroom-delivery"),
    );
    assertEquals(hook.seen.map((s) => s.headers.get("x-controlroom-attempt")), ["1", "2"]);
  } finally {
    await hook.close();
  }
});

Deno.test("an unacknowledged alert reaches tier 2 after its delay, and the Slack target gets text and blocks", async () => {
  const hook = receiver();
  const chat = receiver();
  const name = `E${suffix().toUpperCase()}`;
  const secrets = { [`${name}_URL`]: hook.url, [`${name}_SLACK`]: chat.url };
  try {
    const ws = await workspaceWithRoutes(
      { oncall: { kind: "webhook", url_secret: `${name}_URL` }, team: { kind: "slack", url_secret: `${name}_SLACK` } },
      [{ targets: ["oncall"], after_seconds: 0 }, { targets: ["team"], after_seconds: 2 }],
    );
    await raise(ws);
    await dispatchOnce(client, options(secrets));
    assertEquals([hook.seen.length, chat.seen.length], [1, 0]);
    await new Promise((r) => setTimeout(r, 2200));
    // The claim runs the due escalation first; a sweep that holds the group at that moment (pg_cron's,
    // SKIP LOCKED) leaves it to the next look, so look again for at most 5 s more.
    for (let look = 0; look < 25 && chat.seen.length === 0; look++) {
      await dispatchOnce(client, options(secrets));
      if (chat.seen.length === 0) await new Promise((r) => setTimeout(r, 200));
    }
    assertEquals([hook.seen.length, chat.seen.length], [1, 1]);
    const message = JSON.parse(chat.seen[0].body);
    assertMatch(message.text, /^:red_circle: \[CRITICAL\] run failed/);
    assertEquals(message.blocks[0].type, "section");
    assertEquals(chat.seen[0].headers.get(SIGNATURE_HEADER), null);
    const rows = await deliveriesOf(ws);
    assertEquals(rows.map((d) => [d.tier, d.target_name, d.status]), [[1, "oncall", "sent"], [2, "team", "sent"]]);
  } finally {
    await hook.close();
    await chat.close();
  }
});

Deno.test("a target that times out is recorded as such and never holds up the other deliveries", async () => {
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  const slow = receiver(async () => {
    await held;
    return new Response("late");
  });
  const fast = receiver();
  const name = `T${suffix().toUpperCase()}`;
  const secrets = { [`${name}_SLOW`]: slow.url, [`${name}_FAST`]: fast.url };
  try {
    const slowWs = await workspaceWithRoutes({ s: { kind: "webhook", url_secret: `${name}_SLOW` } }, [
      { targets: ["s"], after_seconds: 0 },
    ]);
    const fastWs = await workspaceWithRoutes({ f: { kind: "webhook", url_secret: `${name}_FAST` } }, [
      { targets: ["f"], after_seconds: 0 },
    ]);
    await raise(slowWs);
    for (let i = 0; i < 5; i++) await raise(fastWs);
    const started = performance.now();
    const summary = await dispatchOnce(client, options(secrets, { timeoutMs: 1500, concurrency: 2 }));
    const took = performance.now() - started;
    assertEquals(fast.seen.length, 5);
    assert(
      fast.seen.every((s) => s.at - started < 1200),
      "the five fast deliveries went out while the slow one was still waiting",
    );
    assert(took >= 1500, `the round waited for the slow target's timeout (${took} ms)`);
    const [slowDelivery] = await deliveriesOf(slowWs);
    const slowResult = summary.results.find((r) => r.delivery_id === slowDelivery.id);
    assertEquals(slowResult?.error, "timed out after 1500 ms");
    assertEquals(slowDelivery.status, "failed");
    assertEquals((await attemptsOf(slowDelivery.id)).map((a) => [a.outcome, a.status_code, a.error]), [
      ["failed", null, "timed out after 1500 ms"],
    ]);
  } finally {
    release();
    await slow.close();
    await fast.close();
  }
});

Deno.test("a secret that is not set is a recorded failure naming the variable", async () => {
  const name = `M${suffix().toUpperCase()}`;
  const ws = await workspaceWithRoutes({ oncall: { kind: "webhook", url_secret: `${name}_URL` } }, [
    { targets: ["oncall"], after_seconds: 0 },
  ]);
  await raise(ws);
  await dispatchOnce(client, options({}));
  const [delivery] = await deliveriesOf(ws);
  assertEquals(delivery.status, "failed");
  const [attempt] = await attemptsOf(delivery.id);
  assertEquals(attempt.status_code, null);
  assertEquals(
    attempt.error,
    `secret ${name}_URL (URL of target oncall) is not set in the dispatcher's environment`,
  );
});

Deno.test("two dispatchers claiming at once send each of 30 deliveries exactly once", async () => {
  const hook = receiver();
  const name = `C${suffix().toUpperCase()}`;
  const secrets = { [`${name}_URL`]: hook.url };
  try {
    const ws = await workspaceWithRoutes({ oncall: { kind: "webhook", url_secret: `${name}_URL` } }, [
      { targets: ["oncall"], after_seconds: 0 },
    ]);
    for (let i = 0; i < 30; i++) await raise(ws);
    const small = { maxDeliveries: 7, concurrency: 3 };
    for (let round = 0; round < 10; round++) {
      const [a, b] = await Promise.all([
        dispatchOnce(client, options(secrets, small)),
        dispatchOnce(client, options(secrets, small)),
      ]);
      if (a.claimed + b.claimed === 0) break;
    }
    const ids = hook.seen.map((s) => s.headers.get("x-controlroom-delivery"));
    assertEquals(ids.length, 30);
    assertEquals(new Set(ids).size, 30);
    const rows = await deliveriesOf(ws);
    assertEquals(rows.filter((d) => d.status === "sent" && d.attempts === 1).length, 30);
  } finally {
    await hook.close();
  }
});
