-- Why: the control room (Studio, the CLI, dashboards) needs three read models: the run board,
-- executor health and queue depth per pool. They are plain views with security_invoker, so RLS
-- of the caller applies: members see their workspaces, nobody else sees anything.

create view public.queue_depth_by_pool
with (security_invoker = true)
as
select
    r.workspace_id,
    r.pool,
    pg_catalog.count(*) filter (where r.status = 'queued') as queued,
    pg_catalog.count(*) filter (where r.status = 'queued' and r.not_before <= pg_catalog.now()) as ready,
    pg_catalog.count(*) filter (where r.status = 'claimed') as claimed,
    pg_catalog.count(*) filter (where r.status = 'running') as running,
    pg_catalog.min(r.created_at) filter (where r.status = 'queued') as oldest_queued_at
from public.runs as r
where r.status in ('queued', 'claimed', 'running')
group by r.workspace_id, r.pool;

comment on view public.queue_depth_by_pool is
'Active runs per workspace and pool: queued (ready = not in backoff), claimed, running, and the oldest queued submit time (RLS of the caller applies).';
comment on column public.queue_depth_by_pool.workspace_id is 'Workspace.';
comment on column public.queue_depth_by_pool.pool is 'Pool.';
comment on column public.queue_depth_by_pool.queued is 'Queued runs.';
comment on column public.queue_depth_by_pool.ready is 'Queued runs whose not_before has passed.';
comment on column public.queue_depth_by_pool.claimed is 'Claimed runs.';
comment on column public.queue_depth_by_pool.running is 'Running runs.';
comment on column public.queue_depth_by_pool.oldest_queued_at is 'Submit time of the oldest queued run.';

revoke all on table public.queue_depth_by_pool from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.queue_depth_by_pool to authenticated, service_role;
