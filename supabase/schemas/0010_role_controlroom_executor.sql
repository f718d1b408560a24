-- Why: executors (stateless workers) must reach the control plane with the least privilege
-- that lets them work: a role of their own, used through PostgREST like `authenticated`, that
-- can call the executor RPCs (granted next to each RPC) and read no table directly.
-- Roles are cluster-wide, like extensions: a second database of the same cluster (or a hosted
-- project that pre-creates the role) must not make this fail, hence the guard.

do $role$
begin
    if not exists (
        select from pg_catalog.pg_roles where rolname = 'controlroom_executor'
    ) then
        create role controlroom_executor nologin noinherit;
    end if;
end
$role$;

comment on role controlroom_executor is
'Executors of Lakehouse Control Room: EXECUTE on the executor RPCs only, no table privileges. Its JWT carries pool, optional workspace_id and a random sub.';

-- PostgREST switches to the role named in the JWT; it may only switch to roles granted to it.
grant controlroom_executor to authenticator;

-- Executors must be able to resolve the RPCs in `public`, nothing else.
grant usage on schema public to controlroom_executor;

-- Same ceiling as `authenticated`: the executor RPCs are short, index-driven statements.
alter role controlroom_executor set statement_timeout = '8s';
