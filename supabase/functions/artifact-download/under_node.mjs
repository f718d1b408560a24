// The proof that download.ts runs under Node 20 (the charter's runtime for Edge Functions): Node's own test
// runner drives a JavaScript copy of it (Node 20 cannot strip TypeScript types; Deno bundles the copy
// without changing a line of logic) against the local stack's real S3 endpoint: the SigV4 signer puts and
// reads objects there, and the handler verifies, serves, cuts and refuses them. Which record a caller
// may see is RLS's answer, tested against the real database in download_test.ts; here the record is the
// one of the object this test uploaded. Needs `eval "$(controlroom env)"`:
//   deno bundle --platform=browser -o /tmp/download.mjs supabase/functions/artifact-download/download.ts
//   DOWNLOAD_MODULE=/tmp/download.mjs node --test supabase/functions/artifact-download/under_node.mjs
import assert from "node:assert/strict";
import { createHash, randomUUID } from "node:crypto";
import { test } from "node:test";
import { pathToFileURL } from "node:url";

const modulePath = process.env.DOWNLOAD_MODULE;
assert.ok(modulePath, "DOWNLOAD_MODULE names the bundled copy of download.ts");
assert.ok(process.env.S3_ENDPOINT_URL, 'S3_ENDPOINT_URL and AWS_* come from `eval "$(controlroom env)"`');
const download = await import(pathToFileURL(modulePath).href);
const config = download.loadConfig((name) => process.env[name]);

async function put(key, text) {
  const bytes = new TextEncoder().encode(text);
  const digest = createHash("sha256").update(bytes).digest();
  const url = download.objectUrl(config.s3, config.bucket, key);
  const headers = await download.signedHeaders({
    method: "PUT",
    url,
    region: config.s3.region,
    credentials: config.credentials,
    payloadHash: digest.toString("hex"),
    headers: { "x-amz-checksum-sha256": digest.toString("base64") },
  });
  const res = await fetch(url, { method: "PUT", headers, body: bytes });
  assert.equal(res.status, 200, await res.text());
  return { version_id: res.headers.get("x-amz-version-id"), sha256: digest.toString("hex"), size: bytes.length };
}

function record(key, stored, sha256 = stored.sha256) {
  return {
    id: randomUUID(),
    run_id: randomUUID(),
    phase: "load",
    name: "logs/stderr.log",
    uri: `s3://${config.bucket}/${key}`,
    sha256,
    size_bytes: stored.size,
    content_type: "text/plain; charset=utf-8",
    version_id: stored.version_id,
  };
}

const request = (query = "", headers = {}) =>
  new Request(`http://functions.local/artifact-download?artifact_id=${randomUUID()}${query}`, {
    headers: { Authorization: "Bearer user-token", ...headers },
  });

test(`runs under Node ${process.version}: signs for S3, verifies the digest and serves the log`, async () => {
  assert.ok(Number(process.versions.node.split(".")[0]) >= 20);
  const key = `node-check/${randomUUID()}/stderr.log`;
  const text = "one\ntwo\nthree\n";
  const row = record(key, await put(key, text));
  const handler = download.makeHandler({ config, read: () => Promise.resolve({ row }) });
  const whole = await handler(request());
  assert.equal(whole.status, 200);
  assert.equal(await whole.text(), text);
  assert.equal(whole.headers.get("x-artifact-verified"), "sha256");
  assert.equal(whole.headers.get("content-type"), "text/plain; charset=utf-8");
  const tail = await handler(request("&tail_bytes=6"));
  assert.equal(tail.status, 206);
  assert.equal(await tail.text(), "three\n");
});

test("under Node: a digest mismatch is 502 PT502 without the bytes; over the limit is 413 PT413", async () => {
  const key = `node-check/${randomUUID()}/stderr.log`;
  const stored = await put(key, "secret-looking bytes\n");
  const lying = download.makeHandler({
    config,
    read: () => Promise.resolve({ row: record(key, stored, "0".repeat(64)) }),
  });
  const res = await lying(request());
  assert.equal(res.status, 502);
  const body = await res.text();
  assert.equal(JSON.parse(body).code, "PT502");
  assert.ok(!body.includes("secret-looking"));
  const tiny = download.makeHandler({
    config: { ...config, maxBytes: 4 },
    read: () => Promise.resolve({ row: record(key, stored) }),
  });
  const over = await tiny(request());
  assert.equal(over.status, 413);
  assert.equal((await over.json()).code, "PT413");
});

test("under Node: a record naming another bucket is refused before anything is read", async () => {
  const key = `node-check/${randomUUID()}/stderr.log`;
  const stored = await put(key, "elsewhere\n");
  const row = { ...record(key, stored), uri: `s3://not-${config.bucket}/${key}` };
  const res = await download.makeHandler({ config, read: () => Promise.resolve({ row }) })(request());
  assert.equal(res.status, 502);
  const body = await res.json();
  assert.equal(body.code, "PT503");
  assert.match(body.hint, /CONTROLROOM_BUCKET/);
});
