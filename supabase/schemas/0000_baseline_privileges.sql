-- Why: every object relies on one privilege baseline. Functions are private by default
-- (PostgreSQL grants EXECUTE to PUBLIC; Supabase adds anon and authenticated), so an RPC is
-- callable only by the roles its own file grants it to. Helpers that must never be reachable over
-- HTTP live in `private`, a schema the Data API does not expose. This file comes first: default
-- privileges apply to the objects created after them.

create schema private;
comment on schema private is
'Internal helpers of the control plane; not exposed through the Data API and not granted to API roles.';

revoke all on schema private from public;

-- Default-deny EXECUTE on functions created from now on by the owner (postgres), in every schema.
alter default privileges revoke execute on functions from public;
alter default privileges in schema public revoke execute on functions from anon, authenticated;

-- Default-deny table privileges for API roles: each table's file grants what it needs.
alter default privileges in schema public revoke all on tables from anon, authenticated;
alter default privileges in schema public revoke all on sequences from anon, authenticated;

-- Policies may only call what the querying role may execute (private.member_workspace_ids).
grant usage on schema private to authenticated;
