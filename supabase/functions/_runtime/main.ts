// The local stand-in for the Supabase Edge Runtime's main service (what `supabase functions serve` runs
// behind Kong's /functions/v1/ route): `controlroom up` starts it on 127.0.0.1:CONTROLROOM_EDGE_PORT and
// the gateway forwards /functions/v1/<name>… here with the prefix stripped (docs/gateway.md, "Edge
// Functions"). Per request, as the CLI's main service decides:
//   /_internal/health                → 200 {"message":"ok"}
//   /<name>… of no served function   → 404 text/plain "Function not found"
//   verify_jwt (config.toml [functions.<name>], default true), any method but OPTIONS:
//     no Authorization header        → 401 {"msg":"Error: Missing authorization header"}
//     not a valid HS256 project JWT  → 401 {"msg":"Invalid JWT"}
//   otherwise the function's own handler answers (method, headers, body and status untouched).
//
// Functions are loaded on their first request by importing their index.ts with Deno.serve captured: the
// handler the entry point passes to Deno.serve is the one called (the Edge Runtime runs each function in
// an isolate of its own; here they share this process, which is enough for a local stack). Settings of
// this runtime are removed from the environment before any function is loaded.
//
// Environment (set by `controlroom up`, workers/controlroom/localstack/functions.py):
//   CONTROLROOM_EDGE_PORT        port to listen on (127.0.0.1)
//   CONTROLROOM_EDGE_FUNCTIONS   JSON {"<name>": {"entrypoint": "/abs/path/index.ts", "verify_jwt": true}}
//   CONTROLROOM_EDGE_JWT_SECRET  the project JWT secret (HS256) for verify_jwt
//   plus what every function sees, as on Supabase: SUPABASE_URL, SUPABASE_ANON_KEY,
//   SUPABASE_SERVICE_ROLE_KEY, and the functions' own settings (secrets).

type Handler = (request: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) => Response | Promise<Response>;
interface FunctionConfig {
  entrypoint: string;
  verify_jwt: boolean;
}

const INTERNAL = ["CONTROLROOM_EDGE_PORT", "CONTROLROOM_EDGE_FUNCTIONS", "CONTROLROOM_EDGE_JWT_SECRET"];
const port = Number(Deno.env.get("CONTROLROOM_EDGE_PORT") ?? "0");
const functions: Record<string, FunctionConfig> = JSON.parse(Deno.env.get("CONTROLROOM_EDGE_FUNCTIONS") ?? "{}");
const jwtSecret = Deno.env.get("CONTROLROOM_EDGE_JWT_SECRET") ?? "";
for (const name of INTERNAL) Deno.env.delete(name);

function log(action: string, fields: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ ts: new Date().toISOString(), action, ...fields }));
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

// -- JWT (HS256, the local project's secret) ---------------------------------------------------------

function base64url(text: string): Uint8Array<ArrayBuffer> {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(text.length / 4) * 4, "=");
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

let hmacKey: Promise<CryptoKey> | null = null;

async function validJwt(token: string): Promise<boolean> {
  const parts = token.split(".");
  if (parts.length !== 3 || !jwtSecret) return false;
  try {
    const header = JSON.parse(new TextDecoder().decode(base64url(parts[0])));
    if (header.alg !== "HS256") return false;
    hmacKey ??= crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(jwtSecret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["verify"],
    );
    const signed = new TextEncoder().encode(`${parts[0]}.${parts[1]}`);
    if (!await crypto.subtle.verify("HMAC", await hmacKey, base64url(parts[2]), signed)) return false;
    const claims = JSON.parse(new TextDecoder().decode(base64url(parts[1])));
    return typeof claims.exp !== "number" || claims.exp > Date.now() / 1000;
  } catch {
    return false;
  }
}

// -- loading a function: its entry point's Deno.serve handler ------------------------------------------

const loaded = new Map<string, Promise<Handler>>();
let importing: Promise<unknown> = Promise.resolve();

function handlerFrom(args: unknown[]): Handler | null {
  for (const arg of args) {
    if (typeof arg === "function") return arg as Handler;
    if (arg && typeof arg === "object" && typeof (arg as { handler?: unknown }).handler === "function") {
      return (arg as { handler: Handler }).handler;
    }
  }
  return null;
}

async function capture(name: string, entrypoint: string): Promise<Handler> {
  const real = Object.getOwnPropertyDescriptor(Deno, "serve");
  let captured: Handler | null = null;
  const stub = (...args: unknown[]) => {
    captured = handlerFrom(args);
    return {
      finished: new Promise<void>(() => {}),
      addr: { transport: "tcp", hostname: "127.0.0.1", port },
      shutdown: () => Promise.resolve(),
      ref: () => {},
      unref: () => {},
      [Symbol.asyncDispose]: () => Promise.resolve(),
    };
  };
  Object.defineProperty(Deno, "serve", { value: stub, configurable: true, writable: true });
  try {
    await import(new URL(entrypoint, "file:///").href);
  } finally {
    if (real) Object.defineProperty(Deno, "serve", real);
  }
  if (!captured) throw new Error(`${name}: ${entrypoint} did not call Deno.serve`);
  return captured;
}

function load(name: string): Promise<Handler> {
  let handler = loaded.get(name);
  if (!handler) {
    // One import at a time: Deno.serve is swapped while an entry point is evaluated.
    handler = importing.then(() => capture(name, functions[name].entrypoint));
    importing = handler.catch(() => {});
    loaded.set(name, handler);
  }
  return handler;
}

// -- the main service ----------------------------------------------------------------------------------

async function serveRequest(request: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>): Promise<Response> {
  const { pathname } = new URL(request.url);
  if (pathname === "/_internal/health") return json(200, { message: "ok" });
  const name = pathname.split("/")[1];
  if (!name || !Object.hasOwn(functions, name)) {
    return new Response("Function not found", { status: 404, headers: { "Content-Type": "text/plain" } });
  }
  if (request.method !== "OPTIONS" && functions[name].verify_jwt) {
    const header = request.headers.get("authorization");
    if (!header) return json(401, { msg: "Error: Missing authorization header" });
    const [scheme, token] = header.split(" ");
    if (scheme !== "Bearer") return json(401, { msg: "Error: Auth header is not 'Bearer {token}'" });
    if (!await validJwt(token ?? "")) return json(401, { msg: "Invalid JWT" });
  }
  let handler: Handler;
  try {
    handler = await load(name);
  } catch (caught) {
    log("boot_error", { function: name, error: String(caught) });
    return json(503, { code: "BOOT_ERROR", message: "Worker failed to boot (please check logs)" });
  }
  try {
    return await handler(request, info);
  } catch (caught) {
    log("worker_error", { function: name, error: caught instanceof Error ? caught.stack : String(caught) });
    return json(500, { code: "WORKER_ERROR", message: "Function exited due to an error (please check logs)" });
  }
}

const server = Deno.serve(
  {
    hostname: "127.0.0.1",
    port,
    onListen: ({ port }) => log("listening", { port, functions: Object.keys(functions) }),
  },
  async (request, info) => {
    const started = performance.now();
    const response = await serveRequest(request, info);
    log("request", {
      method: request.method,
      path: new URL(request.url).pathname,
      status: response.status,
      duration_ms: Math.round(performance.now() - started),
    });
    return response;
  },
);

for (const sig of ["SIGTERM", "SIGINT"] as const) {
  Deno.addSignalListener(sig, async () => {
    await server.shutdown();
    log("stopped");
    Deno.exit(0);
  });
}
