"""A PostgREST-compatible stand-in for the local stack's Data API (`/rest/v1/`).

The subset supabase-py uses: RPC calls and read-only selects, JWT → role + `request.jwt.claims`,
PostgREST's error bodies and status codes, as PostgREST documents them (summarised in
docs/gateway.md); where a real `postgrest` binary is on PATH it is run instead and this
package only plays Kong's part in front of it.
"""

SERVER_NAME = "lcr-postgrest-standin"
