// The proof that dispatch.ts runs under Node 20 (the charter's runtime for Edge Functions): Node's own
// test runner drives a JavaScript copy of it (Node 20 cannot strip TypeScript types; Deno bundles the
// copy without changing a line of logic) against a real node:http receiver.
//   deno bundle --platform=browser -o /tmp/dispatch.mjs supabase/functions/alert-dispatch/dispatch.ts
//   DISPATCH_MODULE=/tmp/dispatch.mjs node --test supabase/functions/alert-dispatch/under_node.mjs
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import { test } from "node:test";
import { pathToFileURL } from "node:url";

const modulePath = process.env.DISPATCH_MODULE;
assert.ok(modulePath, "DISPATCH_MODULE names the bundled copy of dispatch.ts");
const dispatch = await import(pathToFileURL(modulePath).href);

function receiver(status) {
  const seen = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      seen.push({ headers: req.headers, body });
      res.writeHead(status, { "Content-Type": "text/plain" }).end(status === 200 ? "ok" : "nope");
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve({ seen, url: `http://127.0.0.1:${server.address().port}/`, server }))
  );
}

const delivery = {
  id: "d-1",
  lease_token: "l-1",
  attempt: 2,
  alert_id: "a-1",
  tier: 1,
  target: { name: "hook", kind: "webhook", url_secret: "HOOK_URL", signing_secret: "HOOK_KEY" }, // pragma: allowlist secret
  payload: { severity: "warning", signal_type: "run_too_long", subject: { spec: "hello" } },
};

test(`runs under Node ${process.version}: signs and sends a webhook that node:crypto verifies`, async () => {
  assert.ok(Number(process.versions.node.split(".")[0]) >= 20);
  const hook = await receiver(200);
  try {
    const secrets = { HOOK_URL: hook.url, HOOK_KEY: "node-key" };
    const result = await dispatch.send(delivery, { secret: (n) => secrets[n], timeoutMs: 2000 });
    assert.equal(result.outcome, "sent");
    assert.equal(hook.seen.length, 1);
    const { headers, body } = hook.seen[0];
    const expected = createHmac("sha256", "node-key").update(`${headers["x-controlroom-timestamp"]}.${body}`).digest(
      "hex",
    );
    assert.equal(headers["x-controlroom-signature"], `sha256=${expected}`);
    assert.equal(headers["x-controlroom-delivery"], "d-1");
    assert.equal(JSON.parse(body).signal_type, "run_too_long");
  } finally {
    hook.server.close();
  }
});

test("under Node: a 500 is a failed attempt with its status; a Slack target gets text and blocks", async () => {
  const hook = await receiver(500);
  try {
    const secrets = { HOOK_URL: hook.url, HOOK_KEY: "k" };
    const failed = await dispatch.send(delivery, { secret: (n) => secrets[n] });
    assert.equal(failed.outcome, "failed");
    assert.equal(failed.status_code, 500);
    assert.equal(failed.error, "HTTP 500: nope");
    const slack = { ...delivery, target: { name: "chat", kind: "slack", url_secret: "HOOK_URL" } }; // pragma: allowlist secret
    await dispatch.send(slack, { secret: (n) => secrets[n] });
    const body = JSON.parse(hook.seen[1].body);
    assert.equal(body.text, ":warning: [WARNING] run_too_long of hello");
    assert.equal(hook.seen[1].headers["x-controlroom-signature"], undefined);
  } finally {
    hook.server.close();
  }
});

test("under Node: a group notification lists its alerts in the webhook body and the Slack message", async () => {
  const hook = await receiver(200);
  try {
    const secrets = { HOOK_URL: hook.url, HOOK_KEY: "k" };
    const alerts = Array.from({ length: 3 }, (_, n) => ({
      alert_id: `a-${n}`,
      status: n === 2 ? "resolved" : "open",
      severity: "critical",
      summary: `run failed of spec-${n}`,
    }));
    const group = {
      ...delivery,
      group_id: "g-1",
      payload: { group_key: "all:{}", status: "firing", alerts_firing: 2, alerts_resolved: 1, alerts },
    };
    await dispatch.send(group, { secret: (n) => secrets[n] });
    const webhook = JSON.parse(hook.seen[0].body);
    assert.equal(webhook.group_id, "g-1");
    assert.deepEqual(webhook.alerts.map((a) => a.alert_id), ["a-0", "a-1", "a-2"]);
    await dispatch.send({ ...group, target: { name: "chat", kind: "slack", url_secret: "HOOK_URL" } }, { // pragma: allowlist secret
      secret: (n) => secrets[n],
    });
    const slack = JSON.stringify(JSON.parse(hook.seen[1].body).blocks);
    for (const a of alerts) assert.ok(slack.includes(a.summary), `${a.summary} is listed`);
    assert.ok(slack.includes("2 firing, 1 resolved"));
  } finally {
    hook.server.close();
  }
});
