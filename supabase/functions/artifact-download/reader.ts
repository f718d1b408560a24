// The artifact's record, read through the Data API with the caller's own token (supabase-js, the version
// package.json pins): PostgREST applies RLS as that user, so what the function may return is exactly what
// the caller may see. Runtime-neutral (Deno and the Edge Runtime run it; tests use it against the stack).
import { createClient } from "@supabase/supabase-js";
import { ARTIFACT_COLUMNS, type ArtifactRow, type ReadArtifact } from "./download.ts";

export function dataApiReader(supabaseUrl: string, anonKey: string): ReadArtifact {
  return async (token, artifactId) => {
    const client = createClient(supabaseUrl, anonKey, {
      auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
      global: { headers: { Authorization: `Bearer ${token}` } },
    });
    const { data, error, status } = await client.from("artifacts").select(ARTIFACT_COLUMNS).eq("id", artifactId)
      .maybeSingle();
    if (error) {
      return {
        error: {
          status: status || 502,
          body: {
            code: error.code ?? "",
            message: error.message,
            details: error.details ?? null,
            hint: error.hint ?? null,
          },
        },
      };
    }
    return { row: (data as ArtifactRow | null) ?? null };
  };
}
