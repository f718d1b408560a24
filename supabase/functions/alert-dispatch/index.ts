// The alert-dispatch Edge Function: one dispatch round per POST (claim due deliveries, send, record).
// Hosted, pg_cron calls it through pg_net every minute (docs/alerting.md, "Hosted"); SUPABASE_URL and
// SUPABASE_SERVICE_ROLE_KEY are set by the Edge Runtime, the targets' secrets with
// `supabase secrets set NAME=value`; @supabase/supabase-js is the version package.json pins. All the
// logic is in dispatch.ts, which runs under Node 20 too.
import { createClient } from "@supabase/supabase-js";
import { makeHandler, requireEnv } from "./dispatch.ts";

const env = requireEnv((name) => Deno.env.get(name), ["SUPABASE_URL", "SUPABASE_SERVICE_ROLE_KEY"]);
const client = createClient(env.SUPABASE_URL, env.SUPABASE_SERVICE_ROLE_KEY, {
  auth: { persistSession: false, autoRefreshToken: false },
});

Deno.serve(
  makeHandler({
    client,
    secret: (name) => Deno.env.get(name),
    token: env.SUPABASE_SERVICE_ROLE_KEY,
    dispatcher: `edge-${crypto.randomUUID().slice(0, 8)}`,
  }),
);
