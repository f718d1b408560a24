// The artifact-download function's logic: the bytes of one artifact (a phase's full log, typically), read
// with the caller's own token and checked against the recorded SHA-256 before a byte is returned.
//
// 1. The caller's `Authorization: Bearer <user JWT>` reads the artifact's record through the Data API
//    (ReadArtifact; supabase-js in reader.ts): RLS decides. A record the caller cannot see is 404, the
//    same answer as one that does not exist.
// 2. The function fetches exactly the recorded object version from S3 with its own credentials (SigV4,
//    _shared/sigv4.ts): the caller never gets an S3 credential or a signed URL.
// 3. The whole object is read through SHA-256 (and its size counted); a mismatch with the record is 502
//    PT502 and no byte of it is returned. Only then is the body (or the asked-for part) sent.
//
// Free of Deno-only APIs (fetch, crypto.subtle, Request/Response are globals in Deno, Node 20 and the
// Supabase Edge Runtime), so the same module runs under all three; index.ts (Deno.serve) is the entry.
//
// Memory: WebCrypto has no incremental digest, so the object is read into one buffer of its recorded size
// (at most CONTROLROOM_ARTIFACT_DOWNLOAD_MAX_SCAN_BYTES, 32 MiB by default) and hashed once.
import { bearerToken, corsHeaders, type CorsPolicy, type ErrorBody, jsonError, preflight } from "../_shared/http.ts";
import { type AwsCredentials, objectUrl, type S3Location, sha256Hex, signedHeaders } from "../_shared/sigv4.ts";

// Re-exported for the Node 20 check (under_node.mjs), which bundles this module alone.
export { objectUrl, sha256Hex, signedHeaders } from "../_shared/sigv4.ts";

export const MiB = 1024 * 1024;
export const DEFAULTS = {
  bucket: "controlroom-artifacts",
  region: "us-east-1",
  maxBytes: 8 * MiB, // most bytes one answer carries
  maxScanBytes: 32 * MiB, // biggest object the function reads (into memory) to verify it
  timeoutMs: 30_000, // for the S3 read
  allowedOrigin: "*",
};

export const ARTIFACT_COLUMNS = "id,run_id,phase,name,uri,sha256,size_bytes,content_type,version_id";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const METHODS = ["GET", "OPTIONS"] as const;

export interface ArtifactRow {
  id: string;
  run_id: string;
  phase: string;
  name: string;
  uri: string;
  sha256: string;
  size_bytes: number;
  content_type: string;
  version_id: string | null;
}

/** What the Data API said: the row (null when not visible), or its error with the HTTP status. */
export type ReadResult =
  | { row: ArtifactRow | null; error?: undefined }
  | { row?: undefined; error: { status: number; body: ErrorBody } };
export type ReadArtifact = (token: string, artifactId: string) => Promise<ReadResult>;

export interface DownloadConfig {
  bucket: string;
  s3: S3Location;
  credentials: AwsCredentials;
  maxBytes: number;
  maxScanBytes: number;
  timeoutMs: number;
  allowedOrigin: string;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

function positiveInt(get: (name: string) => string | undefined, name: string, fallback: number): number {
  const raw = get(name);
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) throw new ConfigError(`${name}=${raw} is not a positive integer`);
  return value;
}

/** The configuration from environment variables (docs/control-room.md, "Full log"); throws on a bad one. */
export function loadConfig(get: (name: string) => string | undefined): DownloadConfig {
  const accessKeyId = get("AWS_ACCESS_KEY_ID");
  const secretAccessKey = get("AWS_SECRET_ACCESS_KEY");
  if (!accessKeyId || !secretAccessKey) {
    throw new ConfigError("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set (a key that may read the bucket)");
  }
  const config: DownloadConfig = {
    bucket: get("CONTROLROOM_BUCKET") || DEFAULTS.bucket,
    s3: { endpoint: get("S3_ENDPOINT_URL") || null, region: get("AWS_REGION") || DEFAULTS.region },
    credentials: { accessKeyId, secretAccessKey, sessionToken: get("AWS_SESSION_TOKEN") || undefined },
    maxBytes: positiveInt(get, "CONTROLROOM_ARTIFACT_DOWNLOAD_MAX_BYTES", DEFAULTS.maxBytes),
    maxScanBytes: positiveInt(get, "CONTROLROOM_ARTIFACT_DOWNLOAD_MAX_SCAN_BYTES", DEFAULTS.maxScanBytes),
    timeoutMs: positiveInt(get, "CONTROLROOM_ARTIFACT_DOWNLOAD_TIMEOUT_MS", DEFAULTS.timeoutMs),
    allowedOrigin: get("CONTROLROOM_ARTIFACT_DOWNLOAD_ALLOWED_ORIGIN") || DEFAULTS.allowedOrigin,
  };
  if (config.maxScanBytes < config.maxBytes) {
    throw new ConfigError("CONTROLROOM_ARTIFACT_DOWNLOAD_MAX_SCAN_BYTES must be at least ..._MAX_BYTES");
  }
  return config;
}

/** A byte range [start, end] (inclusive) of an object of `size` bytes. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * The part asked for, from `Range: bytes=…` (one range; RFC 9110 §14) or `?tail_bytes=N` (the last N
 * bytes, what a log reader wants). undefined: the whole object (no Range, or one this server may
 * ignore: another unit, several ranges, bad syntax). null: not satisfiable (416).
 */
export function requestedRange(
  header: string | null,
  tailBytes: number | null,
  size: number,
): ByteRange | null | undefined {
  if (tailBytes !== null) return size === 0 ? null : { start: Math.max(0, size - tailBytes), end: size - 1 };
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === "" && match[2] === "")) return undefined;
  if (match[1] === "") {
    const suffix = Number(match[2]);
    return suffix === 0 || size === 0 ? null : { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (match[2] !== "" && Number(match[2]) < start) return undefined; // invalid: ignored, as RFC 9110 says
  return start >= size ? null : { start, end };
}

function isLog(row: ArtifactRow): boolean {
  return row.name.endsWith(".log") || row.content_type.startsWith("text/");
}

/** s3://bucket/key → [bucket, key]. */
export function splitUri(uri: string): [string, string] | null {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  return match ? [match[1], match[2]] : null;
}

export const EXPOSED_HEADERS = [
  "Content-Length",
  "Content-Range",
  "Content-Disposition",
  "X-Artifact-Id",
  "X-Artifact-Sha256",
  "X-Artifact-Size",
  "X-Artifact-Verified",
];

export interface Deps {
  config: DownloadConfig;
  read: ReadArtifact;
  fetch?: typeof fetch;
}

/** The request handler (Deno.serve's, and the tests'). */
export function makeHandler(deps: Deps): (request: Request) => Promise<Response> {
  const { config } = deps;
  const doFetch = deps.fetch ?? fetch;
  const policy: CorsPolicy = { origin: config.allowedOrigin, methods: METHODS, exposed: EXPOSED_HEADERS };
  const cors = corsHeaders(policy);
  const fail = (
    status: number,
    code: string,
    message: string,
    details: string | null,
    hint: string | null,
    extra = {},
  ) => jsonError(status, { code, message, details, hint }, { ...cors, ...extra });

  return async (request: Request): Promise<Response> => {
    if (request.method === "OPTIONS") return preflight(policy);
    if (request.method !== "GET") {
      return fail(405, "PT405", `${request.method} is not allowed here`, null, "Use GET.", {
        Allow: METHODS.join(", "),
      });
    }
    const token = bearerToken(request);
    if (!token) {
      return fail(
        401,
        "PT401",
        "no bearer token",
        "artifact-download reads the artifact's record with the caller's own token, so RLS decides what it returns.",
        "Send Authorization: Bearer <access token of a signed-in user> (supabase-js functions.invoke does).",
      );
    }
    const params = new URL(request.url).searchParams;
    const artifactId = params.get("artifact_id") ?? "";
    if (!UUID.test(artifactId)) {
      return fail(
        400,
        "22023",
        "artifact_id must be a uuid",
        `artifact_id=${JSON.stringify(artifactId.slice(0, 100))}`,
        "Pass ?artifact_id=<uuid of the artifact>.",
      );
    }
    const rawTail = params.get("tail_bytes");
    const tailBytes = rawTail === null ? null : /^[1-9][0-9]{0,15}$/.test(rawTail) ? Number(rawTail) : NaN;
    if (Number.isNaN(tailBytes)) {
      return fail(
        400,
        "22023",
        "tail_bytes must be a positive whole number",
        `tail_bytes=${JSON.stringify(rawTail?.slice(0, 100))}`,
        null,
      );
    }

    let read: ReadResult;
    try {
      read = await deps.read(token, artifactId);
    } catch (caught) {
      const reason = caught instanceof Error ? caught.message : String(caught);
      return fail(503, "PT503", "the Data API did not answer", reason, "Retry later.");
    }
    if (read.error) return jsonError(read.error.status, read.error.body, cors);
    const row = read.row;
    if (!row) {
      return fail(
        404,
        "PT404",
        `artifact ${artifactId} not found`,
        "It does not exist, or RLS does not let you see it.",
        "Check the id; artifacts are visible to members of their workspace.",
      );
    }
    const size = Number(row.size_bytes);
    const where = splitUri(row.uri);
    if (!where || where[0] !== config.bucket) {
      return fail(
        502,
        "PT503",
        `artifact ${row.id} is not in the bucket this function reads`,
        `uri=${row.uri}`,
        `Set CONTROLROOM_BUCKET (now ${config.bucket}).`,
      );
    }
    if (size > config.maxScanBytes) {
      return fail(
        413,
        "PT413",
        `artifact ${row.id} is ${size} bytes, more than the ${config.maxScanBytes} this function reads to verify`,
        `size_bytes=${size} limit=${config.maxScanBytes}`,
        "Read it with `controlroom artifacts get` (or `controlroom logs RUN --phase P`), which streams and checks it.",
      );
    }
    const range = requestedRange(request.headers.get("range"), tailBytes, size);
    if (range === null) {
      return fail(416, "PT416", `range not satisfiable for ${size} bytes`, `size_bytes=${size}`, null, {
        "Content-Range": `bytes */${size}`,
      });
    }
    const wanted = range ? range.end - range.start + 1 : size;
    if (wanted > config.maxBytes) {
      return fail(
        413,
        "PT413",
        `artifact ${row.id} is ${size} bytes, more than the ${config.maxBytes} one answer carries`,
        `${range ? "asked for" : "size_bytes"}=${wanted} limit=${config.maxBytes}`,
        `Ask for its end with ?tail_bytes=<n> or a part with Range: bytes=<first>-<last> (at most ${config.maxBytes} bytes), or read it with \`controlroom logs\`.`,
      );
    }

    // Read the exact recorded version, whole, and check it before answering with (a part of) it.
    const url = objectUrl(config.s3, where[0], where[1], row.version_id);
    const headers = await signedHeaders({
      method: "GET",
      url,
      region: config.s3.region,
      credentials: config.credentials,
    });
    let upstream: Response;
    try {
      upstream = await doFetch(url, { headers, signal: AbortSignal.timeout(config.timeoutMs) });
    } catch (caught) {
      return fail(
        503,
        "PT503",
        "object storage did not answer",
        caught instanceof Error ? caught.message : String(caught),
        "Retry later.",
      );
    }
    if (upstream.status === 404) {
      await upstream.body?.cancel();
      return mismatch(row, "version missing");
    }
    if (upstream.status !== 200 || !upstream.body) {
      const excerpt = (await upstream.text()).slice(0, 300);
      return fail(
        503,
        "PT503",
        `object storage answered ${upstream.status}`,
        excerpt,
        "Check the function's S3 settings (S3_ENDPOINT_URL, AWS_*).",
      );
    }
    const whole = new Uint8Array(size);
    let offset = 0;
    const reader = upstream.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (offset + value.length > size) {
          // Longer than recorded: it cannot match, and the function does not read on.
          await reader.cancel();
          return mismatch(row, `longer than ${size} bytes`);
        }
        whole.set(value, offset);
        offset += value.length;
      }
    } catch (caught) {
      return fail(
        503,
        "PT503",
        "reading the object failed",
        caught instanceof Error ? caught.message : String(caught),
        "Retry later.",
      );
    }
    const digest = await sha256Hex(whole);
    if (offset !== size || digest !== row.sha256) return mismatch(row, `sha256=${digest} size=${offset}`);

    const out: Record<string, string> = {
      ...cors,
      "Content-Type": isLog(row) ? "text/plain; charset=utf-8" : row.content_type,
      "Content-Disposition": `inline; filename="${row.name.split("/").pop()}"`,
      "Cache-Control": "private, no-store",
      "Accept-Ranges": "bytes",
      "X-Artifact-Id": row.id,
      "X-Artifact-Sha256": row.sha256,
      "X-Artifact-Size": String(size),
      "X-Artifact-Verified": "sha256",
    };
    if (range) out["Content-Range"] = `bytes ${range.start}-${range.end}/${size}`;
    const body = range ? whole.subarray(range.start, range.end + 1) : whole;
    return new Response(body, { status: range ? 206 : 200, headers: out });
  };

  function mismatch(row: ArtifactRow, object: string): Response {
    return jsonError(
      502,
      {
        code: "PT502",
        message: `artifact ${row.id} does not match its record: not returned`,
        details: `recorded sha256=${row.sha256} size=${row.size_bytes}; object: ${object}`,
        hint: "The object was changed or lost after it was registered. `controlroom artifacts verify` records it.",
      },
      cors,
    );
  }
}
