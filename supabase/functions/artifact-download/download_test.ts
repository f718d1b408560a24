// artifact-download against the real local stack: a run claimed by an executor of a fresh workspace, its
// log objects uploaded to the stack's S3 endpoint (SigV4, the function's own signer) and registered with
// the attempt's lease, then read as a member, as an outsider, without a token, with a digest that does
// not match, and over the size limit; in-process (the handler with a real supabase-js reader and real
// S3) and through the gateway's /functions/v1 (the stack's Edge Functions runtime). Needs
// `eval "$(controlroom env)"`:
//   deno test --allow-net --allow-env --allow-read --allow-run supabase/functions/artifact-download/
import { createClient } from "@supabase/supabase-js";
import { assert, assertEquals, assertMatch } from "../_shared/assert.ts";
import { objectUrl, sha256Hex, signedHeaders } from "../_shared/sigv4.ts";
import { type DownloadConfig, loadConfig, makeHandler } from "./download.ts";
import { dataApiReader } from "./reader.ts";

const NEEDED = [
  "DATABASE_URL",
  "SUPABASE_URL",
  "SUPABASE_ANON_KEY",
  "SUPABASE_SERVICE_ROLE_KEY",
  "SUPABASE_JWT_SECRET",
  "S3_ENDPOINT_URL",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
];
const missing = NEEDED.filter((n) => !Deno.env.get(n));
if (missing.length) throw new Error(`set by \`eval "$(controlroom env)"\`: ${missing.join(", ")}`);
const env = (n: string) => Deno.env.get(n) as string; // checked above
const API = env("SUPABASE_URL");
const ANON = env("SUPABASE_ANON_KEY");
const config: DownloadConfig = loadConfig((n) => Deno.env.get(n));
const noSession = { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false };
const service = createClient(API, env("SUPABASE_SERVICE_ROLE_KEY"), { auth: noSession });
const suffix = () => crypto.randomUUID().replaceAll("-", "").slice(0, 10);
const encoder = new TextEncoder();

function b64url(bytes: Uint8Array | string): string {
  const raw = typeof bytes === "string" ? encoder.encode(bytes) : bytes;
  return btoa(String.fromCharCode(...raw)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** A token signed with the stack's JWT secret, as Supabase Auth (users) or the stack (executors) mint them. */
async function token(claims: Record<string, unknown>): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const head = `${b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }))}.${
    b64url(JSON.stringify({ iat: now, exp: now + 3600, ...claims }))
  }`;
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(env("SUPABASE_JWT_SECRET")),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return `${head}.${b64url(new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(head))))}`;
}

/** One SQL statement as the database owner (psql); its rows as JSON. */
async function sql<T>(query: string): Promise<T[]> {
  const wrapped = `with q as (${query}) select coalesce(json_agg(q), '[]') from q`;
  const out = await new Deno.Command("psql", {
    args: ["-X", "-At", "-v", "ON_ERROR_STOP=1", env("DATABASE_URL"), "-c", wrapped],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

interface RpcClient {
  rpc(
    fn: string,
    args: Record<string, unknown>,
  ): PromiseLike<{ data: unknown; error: { message: string; details?: string | null } | null }>;
}

async function rpc<T>(client: RpcClient, fn: string, args: Record<string, unknown>): Promise<T> {
  const { data, error } = await client.rpc(fn, args);
  if (error) throw new Error(`${fn}: ${error.message} ${error.details ?? ""}`);
  return data as T;
}

async function user(tag: string): Promise<{ id: string; token: string }> {
  const [row] = await sql<{ id: string }>(
    `insert into auth.users (id, aud, role, email) values (gen_random_uuid(), 'authenticated', 'authenticated',
     '${tag}-${suffix()}@test.invalid') returning id`,
  );
  return { id: row.id, token: await token({ sub: row.id, role: "authenticated", aud: "authenticated" }) };
}

// -- the world: a workspace with a member, an outsider, one running attempt and its artifacts ---------
const slug = `dl-${suffix()}`;
const pool = `pool-${suffix()}`;
const ws = await rpc<{ id: string }>(service, "create_workspace", { slug, name: slug });
const member = await user("member");
const outsider = await user("outsider");
await rpc(service, "add_workspace_member", { workspace_id: ws.id, user_id: member.id, role: "viewer" });
const body = {
  name: "dl",
  version: 1,
  description: "",
  workspace: slug,
  pool,
  labels: {},
  params: { type: "object", properties: {}, additionalProperties: false },
  phases: [{
    name: "load",
    env: {},
    cwd: null,
    caps: {
      wall_seconds: 60,
      cpu_seconds: 60,
      memory_bytes: 268435456,
      address_space_bytes: null,
      output_bytes: 1048576,
      result_bytes: 1048576,
      kill_grace_seconds: 5,
      poll_interval_seconds: 0.2,
    },
    kind: "shell",
    argv: ["true"],
    inputs: [],
    outputs: [],
  }],
  caps: { max_duration_seconds: 3600 },
  retries: { max_attempts: 1, base_seconds: 10, max_backoff_seconds: 3600, jitter_seconds: 0 },
  heartbeat_tolerance_seconds: 900,
};
await rpc(service, "publish_spec", { workspace_id: ws.id, name: "dl", version: "1", body });
await rpc(service, "submit_run", { workspace_id: ws.id, spec_name: "dl", spec_version: "1" });
const executor = createClient(API, ANON, {
  auth: noSession,
  global: {
    headers: {
      Authorization: `Bearer ${await token({ sub: crypto.randomUUID(), role: "controlroom_executor", pool })}`,
    },
  },
});
const registered = await rpc<{ id: string }>(executor, "register_executor", { pool });
const [claim] = await rpc<{ run_id: string; attempt_no: number; lease_token: string }[]>(executor, "claim_runs", {
  executor_id: registered.id,
  max_runs: 1,
  pool,
});
await rpc(executor, "start_run", { lease: claim.lease_token });

/** Uploads bytes under the attempt's key for `name` and registers it (with `recorded` as its digest). */
async function artifact(name: string, bytes: Uint8Array, recorded?: string): Promise<string> {
  const key = `${ws.id}/${claim.run_id}/${claim.attempt_no}/load/${name}`;
  const url = objectUrl(config.s3, config.bucket, key);
  const digest = await sha256Hex(bytes);
  const checksum = btoa(String.fromCharCode(...(digest.match(/../g) ?? []).map((h) => parseInt(h, 16))));
  const headers = await signedHeaders({
    method: "PUT",
    url,
    region: config.s3.region,
    credentials: config.credentials,
    payloadHash: digest,
    headers: { "x-amz-checksum-sha256": checksum, "content-type": "text/plain; charset=utf-8" },
  });
  const put = await fetch(url, { method: "PUT", headers, body: bytes as Uint8Array<ArrayBuffer> });
  const answer = await put.text();
  assert(put.ok, `PUT ${key}: ${put.status} ${answer}`);
  const reply = await rpc<{ artifact_id?: string; id?: string }>(executor, "register_artifact", {
    lease: claim.lease_token,
    phase: "load",
    name,
    uri: `s3://${config.bucket}/${key}`,
    sha256: recorded ?? digest,
    size_bytes: bytes.length,
    content_type: "text/plain; charset=utf-8",
    version_id: put.headers.get("x-amz-version-id"),
    etag: put.headers.get("etag"),
  });
  const [row] = await sql<{ id: string }>(
    `select id from public.artifacts where run_id = '${claim.run_id}' and phase = 'load' and name = '${name}'`,
  );
  assert(row, `registered ${name}: ${JSON.stringify(reply)}`);
  return row.id;
}

const lines = Array.from({ length: 3000 }, (_, i) => `line ${i + 1} of the full log`);
lines[0] = "first line: only the full log has it";
const logText = `${lines.join("\n")}\n`;
const logId = await artifact("logs/stderr.log", encoder.encode(logText));
const tampered = encoder.encode("what the object holds\n");
const tamperedId = await artifact(
  "logs/stdout.log",
  tampered,
  await sha256Hex(encoder.encode("what was recorded\n")),
);
const bigText = "x".repeat(40_000) + "\nthe end\n";
const bigId = await artifact("logs/big.log", encoder.encode(bigText));

const handler = makeHandler({ config, read: dataApiReader(API, ANON) });
const small = makeHandler({ config: { ...config, maxBytes: 16_384 }, read: dataApiReader(API, ANON) });

function get(id: string, bearer?: string, extra: Record<string, string> = {}, query = ""): Request {
  const headers: Record<string, string> = { Origin: "http://127.0.0.1:54323", ...extra };
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  return new Request(`http://functions.local/artifact-download?artifact_id=${id}${query}`, { headers });
}

Deno.test("a member reads the whole log, verified against the recorded SHA-256, with CORS headers", async () => {
  const res = await handler(get(logId, member.token));
  assertEquals(res.status, 200);
  assertEquals(await res.text(), logText);
  assertEquals(res.headers.get("content-type"), "text/plain; charset=utf-8");
  assertEquals(res.headers.get("x-artifact-verified"), "sha256");
  assertEquals(res.headers.get("x-artifact-sha256"), await sha256Hex(encoder.encode(logText)));
  assertEquals(res.headers.get("access-control-allow-origin"), "*");
  assertMatch(res.headers.get("access-control-expose-headers") ?? "", /X-Artifact-Verified/);
});

Deno.test("a user of another workspace gets 404 PT404, as for an id that does not exist", async () => {
  for (const [id, who] of [[logId, outsider.token], [crypto.randomUUID(), member.token]]) {
    const res = await handler(get(id, who));
    assertEquals(res.status, 404);
    const error = await res.json();
    assertEquals(error.code, "PT404");
    assertEquals(Object.keys(error).sort(), ["code", "details", "hint", "message"]);
    assertEquals(res.headers.get("access-control-allow-origin"), "*");
  }
});

Deno.test("no token is 401 PT401; a malformed id is 400 22023; the anon key sees no artifacts", async () => {
  const none = await handler(get(logId));
  assertEquals(none.status, 401);
  assertEquals((await none.json()).code, "PT401");
  const bad = await handler(get("not-a-uuid", member.token));
  assertEquals(bad.status, 400);
  assertEquals((await bad.json()).code, "22023");
  const anon = await handler(get(logId, ANON));
  assert(anon.status === 401 || anon.status === 404, `anon: ${anon.status}`);
  assert(!(await anon.text()).includes("first line"), "the anon key must not read a log");
});

Deno.test("an object that does not match its recorded digest is 502 PT502 and none of its bytes", async () => {
  const res = await handler(get(tamperedId, member.token));
  assertEquals(res.status, 502);
  const text = await res.text();
  assertEquals(JSON.parse(text).code, "PT502");
  assert(!text.includes("what the object holds"), "the body of a mismatching object leaked");
  assertEquals(res.headers.get("x-artifact-verified"), null);
});

Deno.test("over the size limit is 413 PT413; its end is served with tail_bytes or Range, verified", async () => {
  const over = await small(get(bigId, member.token));
  assertEquals(over.status, 413);
  const error = await over.json();
  assertEquals(error.code, "PT413");
  assertMatch(error.hint, /tail_bytes/);
  const tail = await small(get(bigId, member.token, {}, "&tail_bytes=8"));
  assertEquals(tail.status, 206);
  assertEquals(await tail.text(), "the end\n");
  assertEquals(
    tail.headers.get("content-range"),
    `bytes ${bigText.length - 8}-${bigText.length - 1}/${bigText.length}`,
  );
  assertEquals(tail.headers.get("x-artifact-verified"), "sha256");
  const ranged = await small(get(bigId, member.token, { Range: "bytes=0-3" }));
  assertEquals(ranged.status, 206);
  assertEquals(await ranged.text(), "xxxx");
  const unsatisfiable = await small(get(bigId, member.token, { Range: `bytes=${bigText.length}-` }));
  assertEquals(unsatisfiable.status, 416);
  assertEquals((await unsatisfiable.json()).code, "PT416");
  const tooMuch = await small(get(bigId, member.token, {}, "&tail_bytes=20000"));
  assertEquals(tooMuch.status, 413);
  await tooMuch.body?.cancel();
});

Deno.test("a preflight is answered without a token; other methods are 405", async () => {
  const pre = await handler(
    new Request("http://functions.local/artifact-download", {
      method: "OPTIONS",
      headers: {
        Origin: "http://127.0.0.1:54323",
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization, apikey, x-client-info",
      },
    }),
  );
  assertEquals(pre.status, 204);
  assertEquals(pre.headers.get("access-control-allow-origin"), "*");
  assertMatch(pre.headers.get("access-control-allow-headers") ?? "", /authorization, x-client-info, apikey/);
  assertMatch(pre.headers.get("access-control-allow-methods") ?? "", /GET/);
  const post = await handler(new Request("http://functions.local/artifact-download", { method: "POST", body: "{}" }));
  assertEquals(post.status, 405);
  assertEquals((await post.json()).code, "PT405");
});

// -- through the stack: the gateway's /functions/v1 → the Edge Functions runtime → this function -------

Deno.test("through /functions/v1 with supabase-js functions.invoke, as the page calls it", async () => {
  const page = createClient(API, ANON, { auth: noSession, accessToken: () => Promise.resolve(member.token) });
  const { data, error, response } = await page.functions.invoke(`artifact-download?artifact_id=${logId}`, {
    method: "GET",
  });
  assertEquals(error, null);
  assertEquals(data, logText);
  assertEquals(response?.headers.get("x-artifact-verified"), "sha256");
  const outsiders = createClient(API, ANON, { auth: noSession, accessToken: () => Promise.resolve(outsider.token) });
  const refused = await outsiders.functions.invoke(`artifact-download?artifact_id=${logId}`, { method: "GET" });
  assertEquals(refused.response?.status, 404);
  assertEquals((await refused.response?.json()).code, "PT404");
});

Deno.test("through /functions/v1: the runtime's 401 without a token, 404 for an unknown function", async () => {
  const missingToken = await fetch(`${API}/functions/v1/artifact-download?artifact_id=${logId}`);
  assertEquals(missingToken.status, 401);
  assertEquals(await missingToken.json(), { msg: "Error: Missing authorization header" });
  const forged = await fetch(`${API}/functions/v1/artifact-download?artifact_id=${logId}`, {
    headers: { Authorization: `Bearer ${member.token.slice(0, -4)}AAAA` },
  });
  assertEquals(forged.status, 401);
  assertEquals(await forged.json(), { msg: "Invalid JWT" });
  const unknown = await fetch(`${API}/functions/v1/no-such-function`, {
    headers: { Authorization: `Bearer ${member.token}` },
  });
  assertEquals(unknown.status, 404);
  assertEquals(await unknown.text(), "Function not found");
});
