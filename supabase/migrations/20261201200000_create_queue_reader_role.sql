-- Why: KEDA's PostgreSQL scaler (deploy/kubernetes, the executors' ScaledObject) polls
-- public.queue_depth_by_pool; it needs a database role that reads that view and nothing else (no
-- RPC, no other relation, no run's spec or parameters). The view is security_invoker, so Postgres
-- checks public.runs as the caller: the role holds SELECT on the five columns the view reads and
-- a policy shows it the active runs only. NOLOGIN: operators add LOGIN and a password
-- (docs/scaling.md). Roles are cluster-wide, hence the guard (as for controlroom_executor).

set lock_timeout = '5s';
set statement_timeout = '60s';

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

alter role controlroom_queue_reader set statement_timeout = '5s';

grant usage on schema public to controlroom_queue_reader;
grant select (workspace_id, pool, status, not_before, created_at) on table public.runs to controlroom_queue_reader;
grant select on table public.queue_depth_by_pool to controlroom_queue_reader;

create policy runs_select_queue_reader on public.runs
for select to controlroom_queue_reader
using (status in ('queued', 'claimed', 'running'));

comment on policy runs_select_queue_reader on public.runs is
'KEDA''s queue reader sees the active runs that public.queue_depth_by_pool counts (and only the columns it reads).';
