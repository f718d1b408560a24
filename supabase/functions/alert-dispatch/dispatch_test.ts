// Unit-level tests of the dispatcher's sending half: signing, payload shapes, timeouts, failures and
// the concurrency bound, against real HTTP receivers on loopback (no database here: the outbox half is
// outbox_test.ts, on the real local stack).
//   deno test --allow-net --allow-env --allow-read supabase/functions/alert-dispatch/
import { assert, assertEquals, assertMatch } from "../_shared/assert.ts";
import {
  alertList,
  bounded,
  type Delivery,
  DELIVERY_HEADER,
  makeHandler,
  prepare,
  send,
  sign,
  SIGNATURE_HEADER,
  SLACK_LIST_MAX,
  slackBody,
  TIMESTAMP_HEADER,
  verify,
  webhookBody,
} from "./dispatch.ts";

function delivery(kind: string, extra: Partial<Delivery> = {}): Delivery {
  return {
    id: "6f1c2a1e-0000-4000-8000-000000000001",
    lease_token: "6f1c2a1e-0000-4000-8000-0000000000aa",
    attempt: 1,
    alert_id: "6f1c2a1e-0000-4000-8000-0000000000bb",
    tier: 1,
    target: { name: "hook", kind, url_secret: "HOOK_URL", signing_secret: kind === "webhook" ? "HOOK_KEY" : null }, // pragma: allowlist secret
    // The shape private.alert_payload renders.
    payload: {
      change: "escalated",
      status: "open",
      route: "flights-failures",
      signal_type: "run_failed",
      severity: "critical",
      subject: { spec: "flights-medallion", pool: "default" },
      summary: "[CRITICAL] run failed of flights-medallion",
      signal_count: 2,
    },
    ...extra,
  };
}

type Seen = { headers: Headers; body: string };

/** A receiver on a free loopback port answering with `reply` (which may take its time). */
function receiver(reply: (seen: Seen) => Promise<Response> | Response = () => new Response("ok")) {
  const seen: Seen[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (request) => {
    const entry = { headers: request.headers, body: await request.text() };
    seen.push(entry);
    return await reply(entry);
  });
  const url = `http://127.0.0.1:${server.addr.port}/hook`;
  return { seen, url, close: () => server.shutdown() };
}

Deno.test("the signature is HMAC-SHA256 over '<timestamp>.<body>', as any HMAC library computes it", async () => {
  // Computed independently: python3 -c "import hmac,hashlib; print(hmac.new(b'k3y',
  //   b'1700000000.{\"a\":1}', hashlib.sha256).hexdigest())"
  assertEquals(
    await sign("k3y", 1700000000, '{"a":1}'),
    "sha256=fd5a70e965043f7df6309c2c3b5ff5a8ffa99b1f5175e9a311459e73c4634d4a",
  );
});

Deno.test("verify accepts the signed request and refuses a changed body, a wrong key and a stale timestamp", async () => {
  const signature = await sign("k3y", 1700000000, "body");
  const header = { signature, timestamp: "1700000000" };
  assert(await verify("k3y", header, "body", 1700000100));
  assert(!(await verify("k3y", header, "body!", 1700000100)));
  assert(!(await verify("other", header, "body", 1700000100)));
  assert(!(await verify("k3y", header, "body", 1700000000 + 301)), "older than 5 minutes: a replay");
  assert(!(await verify("k3y", { signature, timestamp: null }, "body", 1700000000)));
});

Deno.test("a webhook delivery is POSTed as JSON with delivery id, attempt, timestamp and a valid signature", async () => {
  const hook = receiver();
  const secrets: Record<string, string> = { HOOK_URL: hook.url, HOOK_KEY: "s3cret" };
  try {
    const result = await send(delivery("webhook"), { secret: (n) => secrets[n], timeoutMs: 2000 });
    assertEquals(result.outcome, "sent");
    assertEquals(result.status_code, 200);
    assertEquals(result.error, null);
    assertEquals(hook.seen.length, 1);
    const { headers, body } = hook.seen[0];
    assertEquals(headers.get("content-type"), "application/json");
    assertEquals(headers.get(DELIVERY_HEADER), delivery("webhook").id);
    const timestamp = headers.get(TIMESTAMP_HEADER);
    assert(await verify("s3cret", { signature: headers.get(SIGNATURE_HEADER), timestamp }, body, Date.now() / 1000));
    const parsed = JSON.parse(body);
    assertEquals(parsed.type, "controlroom.alert");
    assertEquals(parsed.delivery_id, delivery("webhook").id);
    assertEquals(parsed.signal_type, "run_failed");
    assertEquals(parsed, webhookBody(delivery("webhook")));
  } finally {
    await hook.close();
  }
});

Deno.test("a Slack delivery is an incoming-webhook message: text plus blocks, unsigned", async () => {
  const body = slackBody(delivery("slack"));
  assertEquals(body.text, ":red_circle: [CRITICAL] run failed of flights-medallion");
  const blocks = body.blocks as { type: string }[];
  assertEquals(blocks.map((b) => b.type), ["section", "context", "context"]);
  assertMatch(JSON.stringify(blocks[1]), /\*spec:\* flights-medallion/);
  const prepared = await prepare(delivery("slack"), (n) => (n === "HOOK_URL" ? "http://x.invalid/" : undefined), 0);
  assert("init" in prepared);
  const headers = prepared.init.headers as Record<string, string>;
  assertEquals(headers[SIGNATURE_HEADER], undefined);
  assertEquals(JSON.parse(prepared.init.body as string), body);
});

/** A group notification as private.flush_alert_groups renders it: the group and every alert it carries. */
function groupDelivery(kind: string, alerts: number, omitted = 0): Delivery {
  return delivery(kind, {
    group_id: "6f1c2a1e-0000-4000-8000-0000000000cc",
    payload: {
      group_id: "6f1c2a1e-0000-4000-8000-0000000000cc",
      group_key: 'flights-failures:{spec="flights-medallion"}',
      group_labels: { spec: "flights-medallion" },
      change: "updated",
      status: "firing",
      route: "flights-failures",
      severity: "critical",
      summary: `[CRITICAL] ${alerts - 1} firing, 1 resolved: run failed of flights-medallion and ${alerts - 1} more`,
      alerts_firing: alerts - 1,
      alerts_resolved: 1,
      alerts_omitted: omitted,
      alerts: Array.from({ length: alerts }, (_, n) => ({
        alert_id: `6f1c2a1e-0000-4000-8000-${String(n).padStart(12, "0")}`,
        status: n === alerts - 1 ? "resolved" : n === 0 ? "acknowledged" : "open",
        severity: n === 1 ? "warning" : "critical",
        signal_type: "run_failed",
        summary: `run failed of spec-${n}`,
      })),
    },
  });
}

Deno.test("a group's webhook body carries the group and every alert with its state", () => {
  const body = webhookBody(groupDelivery("webhook", 10));
  assertEquals(body.version, 2);
  assertEquals(body.group_id, "6f1c2a1e-0000-4000-8000-0000000000cc");
  assertEquals(body.group_labels, { spec: "flights-medallion" });
  const alerts = body.alerts as { alert_id: string; status: string }[];
  assertEquals(alerts.length, 10);
  assertEquals(alerts.map((a) => a.status).filter((s) => s === "resolved").length, 1);
  assertEquals(alerts[0].status, "acknowledged");
});

Deno.test("a group's Slack message lists its alerts, and counts those past the list", () => {
  const small = slackBody(groupDelivery("slack", 3));
  const blocks = small.blocks as { type: string; text?: { text: string } }[];
  assertEquals(blocks.map((b) => b.type), ["section", "context", "section", "context"]);
  const list = blocks[2].text?.text ?? "";
  assertEquals(list.split("\n").length, 3);
  assertMatch(list, /:red_circle: run failed of spec-0 · acknowledged · `6f1c2a1e`/);
  assertMatch(list, /:warning: run failed of spec-1 · open/);
  assertMatch(list, /:white_check_mark: run failed of spec-2 · resolved/);
  assertMatch(JSON.stringify(blocks[1]), /\*alerts:\* 2 firing, 1 resolved/);
  assertMatch(JSON.stringify(blocks[1]), /\*group:\* flights-failures/);

  const big = slackBody(groupDelivery("slack", 30, 470));
  const bigList = (big.blocks as { text?: { text: string } }[])[2].text?.text ?? "";
  assertEquals(bigList.split("\n").length, SLACK_LIST_MAX + 1);
  assert(bigList.endsWith("… and 480 more"), bigList);
  assertEquals(alertList({ summary: "no list" }), null);
});

Deno.test("a missing secret is a failed attempt that names the variable, and nothing is sent", async () => {
  const noUrl = await send(delivery("webhook"), { secret: () => undefined });
  assertEquals(noUrl.outcome, "failed");
  assertEquals(noUrl.status_code, null);
  assertMatch(noUrl.error ?? "", /secret HOOK_URL \(URL of target hook\) is not set/);
  const hook = receiver();
  try {
    const noKey = await send(delivery("webhook"), { secret: (n) => (n === "HOOK_URL" ? hook.url : undefined) });
    assertMatch(noKey.error ?? "", /secret HOOK_KEY \(signing key of target hook\) is not set/);
    assertEquals(hook.seen.length, 0, "an unsigned request is never sent to a target that expects a signature");
  } finally {
    await hook.close();
  }
});

Deno.test("an answer of 500 is a failed attempt with the status and an excerpt of the body", async () => {
  const hook = receiver(() => new Response("upstream  is\n down", { status: 500 }));
  try {
    const result = await send(delivery("webhook"), { secret: (n) => ({ HOOK_URL: hook.url, HOOK_KEY: "k" })[n] });
    assertEquals(result.outcome, "failed");
    assertEquals(result.status_code, 500);
    assertEquals(result.error, "HTTP 500: upstream is down");
  } finally {
    await hook.close();
  }
});

Deno.test("a receiver that does not answer is cut at the timeout, and the URL (a secret) is not echoed", async () => {
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  const hook = receiver(async () => {
    await held;
    return new Response("late");
  });
  try {
    const started = performance.now();
    const result = await send(delivery("webhook"), {
      secret: (n) => ({ HOOK_URL: hook.url, HOOK_KEY: "k" })[n],
      timeoutMs: 300,
    });
    const took = performance.now() - started;
    assertEquals(result.outcome, "failed");
    assertEquals(result.error, "timed out after 300 ms");
    assert(took < 2000, `took ${took} ms`);
    const refused = await send(delivery("webhook"), {
      secret: (n) => ({ HOOK_URL: "http://127.0.0.1:9/secret-path", HOOK_KEY: "k" })[n],
    });
    assertEquals(refused.outcome, "failed");
    assert(!(refused.error ?? "").includes("secret-path"), refused.error ?? "");
  } finally {
    release();
    await hook.close();
  }
});

Deno.test("bounded runs at most `limit` at once and a slow item never holds up the others", async () => {
  let inFlight = 0;
  let most = 0;
  const finished: number[] = [];
  const results = await bounded([400, 10, 10, 10, 10, 10], 2, async (ms) => {
    inFlight++;
    most = Math.max(most, inFlight);
    await new Promise((r) => setTimeout(r, ms));
    inFlight--;
    finished.push(ms);
    return ms * 2;
  });
  assertEquals(results, [800, 20, 20, 20, 20, 20]);
  assertEquals(most, 2);
  assertEquals(finished.at(-1), 400, "the five quick ones finished while the slow one ran");
});

Deno.test("the function refuses anything but a POST with the service-role bearer, before touching the outbox", async () => {
  const untouchable = {
    rpc(): never {
      throw new Error("the outbox was touched");
    },
  };
  const handler = makeHandler({ client: untouchable, secret: () => undefined, token: "service-key", dispatcher: "t" });
  const get = await handler(
    new Request("http://x/", { method: "GET", headers: { Authorization: "Bearer service-key" } }),
  );
  assertEquals(get.status, 405);
  const anon = await handler(
    new Request("http://x/", { method: "POST", headers: { Authorization: "Bearer anon-key" } }),
  );
  assertEquals(anon.status, 401);
  const none = await handler(new Request("http://x/", { method: "POST" }));
  assertEquals(none.status, 401);
  const open = makeHandler({ client: untouchable, secret: () => undefined, token: "", dispatcher: "t" });
  assertEquals(
    (await open(new Request("http://x/", { method: "POST", headers: { Authorization: "Bearer " } }))).status,
    401,
  );
  const allowed = await handler(
    new Request("http://x/", { method: "POST", headers: { Authorization: "Bearer service-key" } }),
  );
  assertEquals(allowed.status, 502, "a caller with the key gets a round (here the outbox refuses: 502)");
  assertMatch((await allowed.json()).error, /the outbox was touched/);
});
