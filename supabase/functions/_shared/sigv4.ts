// AWS Signature Version 4 for S3 requests, by hand with WebCrypto (crypto.subtle is a global in Deno,
// Node 20 and the Supabase Edge Runtime): HMAC-SHA256 over the canonical request, as AWS documents it
// ("Signature Version 4 signing process"; S3: the path is URI-encoded once, the payload hash is signed in
// x-amz-content-sha256). No dependency: nothing is fetched at run time, and the bundle for Node is this.

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface S3Location {
  endpoint: string | null; // e.g. http://127.0.0.1:54329 (path-style); null: AWS (virtual-hosted)
  region: string;
}

// SHA-256 of no bytes (the payload hash of a GET), not a secret.
export const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"; // pragma: allowlist secret

/** RFC 3986 encoding, as SigV4 wants it: everything but A-Z a-z 0-9 - . _ ~ is %XX. */
export function encodeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const encoder = new TextEncoder();

export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  return toHex(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
}

async function hmac(key: string | Uint8Array, data: string): Promise<Uint8Array> {
  const raw = typeof key === "string" ? encoder.encode(key) : key;
  const imported = await crypto.subtle.importKey(
    "raw",
    raw as Uint8Array<ArrayBuffer>,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return new Uint8Array(await crypto.subtle.sign("HMAC", imported, encoder.encode(data)));
}

/** The URL of an object (one version of it when versionId is given). */
export function objectUrl(where: S3Location, bucket: string, key: string, versionId?: string | null): URL {
  const path = key.split("/").map(encodeRfc3986).join("/");
  const base = where.endpoint
    ? `${where.endpoint.replace(/\/+$/, "")}/${encodeRfc3986(bucket)}/${path}`
    : `https://${bucket}.s3.${where.region}.amazonaws.com/${path}`;
  const url = new URL(base);
  if (versionId) url.search = `versionId=${encodeRfc3986(versionId)}`;
  return url;
}

function canonicalQuery(url: URL): string {
  const pairs: [string, string][] = [];
  for (const part of url.search.replace(/^\?/, "").split("&")) {
    if (!part) continue;
    const [k, v = ""] = part.split("=");
    pairs.push([encodeRfc3986(decodeURIComponent(k)), encodeRfc3986(decodeURIComponent(v))]);
  }
  pairs.sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join("&");
}

export interface SignInput {
  method: string;
  url: URL;
  region: string;
  credentials: AwsCredentials;
  payloadHash?: string; // hex SHA-256 of the body; EMPTY_SHA256 for none
  headers?: Record<string, string>; // extra headers to sign and send (e.g. x-amz-checksum-sha256)
  now?: Date;
  service?: string;
}

/** The headers to send with the request (Host is signed but set by fetch itself). */
export async function signedHeaders(input: SignInput): Promise<Record<string, string>> {
  const now = input.now ?? new Date();
  const amzDate = now.toISOString().replace(/[:-]|\.\d{3}/g, ""); // 20261130T081900Z
  const day = amzDate.slice(0, 8);
  const service = input.service ?? "s3";
  const payloadHash = input.payloadHash ?? EMPTY_SHA256;
  const send: Record<string, string> = {
    ...Object.fromEntries(Object.entries(input.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v.trim()])),
    "x-amz-content-sha256": payloadHash,
    "x-amz-date": amzDate,
  };
  if (input.credentials.sessionToken) send["x-amz-security-token"] = input.credentials.sessionToken;
  const signing: Record<string, string> = { ...send, host: input.url.host };
  const names = Object.keys(signing).sort();
  const canonical = [
    input.method.toUpperCase(),
    input.url.pathname,
    canonicalQuery(input.url),
    names.map((n) => `${n}:${signing[n].replace(/\s+/g, " ")}\n`).join(""),
    names.join(";"),
    payloadHash,
  ].join("\n");
  const scope = `${day}/${input.region}/${service}/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, await sha256Hex(canonical)].join("\n");
  let key = await hmac(`AWS4${input.credentials.secretAccessKey}`, day);
  for (const part of [input.region, service, "aws4_request"]) key = await hmac(key, part);
  const signature = toHex(await hmac(key, toSign));
  send.authorization = `AWS4-HMAC-SHA256 Credential=${input.credentials.accessKeyId}/${scope}, ` +
    `SignedHeaders=${names.join(";")}, Signature=${signature}`;
  return send;
}
