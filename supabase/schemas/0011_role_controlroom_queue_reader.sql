-- Why: KEDA's PostgreSQL scaler (deploy/kubernetes, the executors' ScaledObject) polls the queue
-- depth of each pool. It gets a role of its own that reads public.queue_depth_by_pool and nothing
-- else: no RPC, no other table or view, no run's spec or parameters (grants in
-- 0725_grant_queue_reader_the_queue_depth.sql). NOLOGIN: operators give it LOGIN and a password
-- out of band (docs/scaling.md, "KEDA's database role"); PostgREST never switches to it.
-- Roles are cluster-wide, like extensions: a second database of the same cluster (or a hosted
-- project that pre-creates the role) must not make this fail, hence the guard.

do $role$
begin
    if not exists (
        select from pg_catalog.pg_roles where rolname = 'controlroom_queue_reader'
    ) then
        create role controlroom_queue_reader nologin noinherit;
    end if;
end
$role$;

comment on role controlroom_queue_reader is
'KEDA''s PostgreSQL scaler: SELECT on public.queue_depth_by_pool only (and the five columns of public.runs the view reads, active runs only). NOLOGIN until an operator grants LOGIN with a password.';

-- The scaler polls every 15 s with one aggregate: anything slower is a problem to see, not to wait for.
alter role controlroom_queue_reader set statement_timeout = '5s';
