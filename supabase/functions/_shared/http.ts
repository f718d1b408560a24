// HTTP helpers shared by the functions that a browser calls: CORS and PostgREST-shaped JSON errors.
// Runtime-neutral (Request/Response/Headers are globals in Deno, Node 20 and the Supabase Edge Runtime).
//
// On hosted Supabase nothing in front of a function answers CORS for it, so each function does: a
// preflight (OPTIONS) gets the allowed methods and headers, every other answer (errors included) the
// allowed origin and the headers a script may read. The page authenticates with a bearer token, never a
// cookie, so `*` is a safe default origin.

export interface CorsPolicy {
  origin: string; // Access-Control-Allow-Origin
  methods: readonly string[];
  exposed: readonly string[]; // response headers a script may read besides the CORS-safelisted ones
}

// What supabase-js sends (Authorization, apikey, x-client-info, content-type) plus Range.
export const ALLOWED_HEADERS = "authorization, x-client-info, apikey, content-type, range";
export const MAX_AGE_SECONDS = "86400";

export function corsHeaders(policy: CorsPolicy): Record<string, string> {
  return {
    "Access-Control-Allow-Origin": policy.origin,
    "Access-Control-Expose-Headers": policy.exposed.join(", "),
    ...(policy.origin === "*" ? {} : { Vary: "Origin" }),
  };
}

export function preflight(policy: CorsPolicy): Response {
  return new Response(null, {
    status: 204,
    headers: {
      ...corsHeaders(policy),
      "Access-Control-Allow-Methods": policy.methods.join(", "),
      "Access-Control-Allow-Headers": ALLOWED_HEADERS,
      "Access-Control-Max-Age": MAX_AGE_SECONDS,
    },
  });
}

export interface ErrorBody {
  code: string;
  message: string;
  details: string | null;
  hint: string | null;
}

/** An error in PostgREST's shape ({code, message, details, hint}); clients branch on `code`. */
export function jsonError(
  status: number,
  body: ErrorBody,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json; charset=utf-8", ...headers },
  });
}

/** The token of `Authorization: Bearer <token>`, or null when the header is missing or another scheme. */
export function bearerToken(request: Request): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get("authorization") ?? "");
  return match ? match[1] : null;
}
