// The artifact-download Edge Function: GET /functions/v1/artifact-download?artifact_id=<uuid>[&tail_bytes=N]
// with the caller's `Authorization: Bearer <access token>`. Returns the artifact's bytes (a log as
// text/plain) once their SHA-256 matched the record; see download.ts and docs/control-room.md ("Full log").
//
// Hosted: SUPABASE_URL and SUPABASE_ANON_KEY are set by the Edge Runtime; the S3 settings with
// `supabase secrets set` (S3_ENDPOINT_URL for a non-AWS endpoint, AWS_REGION, AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY of a key that may only read the bucket, CONTROLROOM_BUCKET). Locally
// `controlroom up` serves it behind the gateway's /functions/v1 with the local stack's settings.
import { loadConfig, makeHandler } from "./download.ts";
import { dataApiReader } from "./reader.ts";

const get = (name: string) => Deno.env.get(name);
const url = get("SUPABASE_URL");
const anonKey = get("SUPABASE_ANON_KEY");
if (!url || !anonKey) throw new Error("SUPABASE_URL and SUPABASE_ANON_KEY must be set");

Deno.serve(makeHandler({ config: loadConfig(get), read: dataApiReader(url, anonKey) }));
