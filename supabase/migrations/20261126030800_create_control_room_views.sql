-- Why: the control room (Studio, the CLI, dashboards) needs three read models: the run board,
-- executor health and queue depth per pool. They are plain views with security_invoker, so RLS
-- of the caller applies: members see their workspaces, nobody else sees anything.

create view public.run_board
with (security_invoker = true)
as
select
    r.id as run_id,
    r.workspace_id,
    s.name as spec_name,
    s.version as spec_version,
    s.spec_hash,
    r.status,
    r.priority,
    r.score,
    r.pool,
    r.created_at,
    r.not_before,
    r.attempt_count,
    s.max_attempts,
    a.executor_id,
    a.status as attempt_status,
    a.started_at,
    a.heartbeat_at,
    a.lease_expires_at,
    r.deadline_at,
    r.cancel_requested_at,
    r.finished_at,
    r.status_changed_at,
    r.status_changed_by,
    r.status_reason,
    a.error_class as last_error_class,
    a.error_message as last_error_message
from public.runs as r
inner join public.pipeline_specs as s on r.spec_id = s.id
left join public.run_attempts as a on r.id = a.run_id and r.attempt_count = a.attempt_no;

comment on view public.run_board is
'One row per run with its spec, latest attempt and latest transition: the control room''s run board (RLS of the caller applies).';
comment on column public.run_board.run_id is 'The run.';
comment on column public.run_board.workspace_id is 'Owning workspace.';
comment on column public.run_board.spec_name is 'Spec name.';
comment on column public.run_board.spec_version is 'Spec version.';
comment on column public.run_board.spec_hash is 'Spec hash.';
comment on column public.run_board.status is 'Run status.';
comment on column public.run_board.priority is 'Requested priority.';
comment on column public.run_board.score is 'Claim order score.';
comment on column public.run_board.pool is 'Executor pool.';
comment on column public.run_board.created_at is 'Submit time.';
comment on column public.run_board.not_before is 'Earliest next claim.';
comment on column public.run_board.attempt_count is 'Attempts so far.';
comment on column public.run_board.max_attempts is 'Attempt limit of the spec.';
comment on column public.run_board.executor_id is 'Executor of the latest attempt.';
comment on column public.run_board.attempt_status is 'Status of the latest attempt.';
comment on column public.run_board.started_at is 'Start of the latest attempt.';
comment on column public.run_board.heartbeat_at is 'Latest heartbeat of the latest attempt.';
comment on column public.run_board.lease_expires_at is 'Lease expiry of the latest attempt.';
comment on column public.run_board.deadline_at is 'Max run duration deadline.';
comment on column public.run_board.cancel_requested_at is 'When cancellation was requested.';
comment on column public.run_board.finished_at is 'When the run became terminal.';
comment on column public.run_board.status_changed_at is 'Latest transition time.';
comment on column public.run_board.status_changed_by is 'Latest transition actor.';
comment on column public.run_board.status_reason is 'Latest transition reason.';
comment on column public.run_board.last_error_class is 'Error class of the latest attempt.';
comment on column public.run_board.last_error_message is 'Error message of the latest attempt.';

create view public.executor_health
with (security_invoker = true)
as
select
    x.id as executor_id,
    x.workspace_id,
    x.pool,
    x.labels,
    x.version,
    x.host,
    x.status,
    x.registered_at,
    x.last_seen_at,
    pg_catalog.now() - x.last_seen_at as silent_for,
    case
        when x.status <> 'active' then x.status
        when x.last_seen_at >= pg_catalog.now() - interval '2 minutes' then 'healthy'
        when x.last_seen_at >= pg_catalog.now() - interval '15 minutes' then 'late'
        else 'silent'
    end as health,
    (
        select pg_catalog.count(*)
        from public.run_attempts as a
        where a.executor_id = x.id and a.finished_at is null
    ) as live_attempts
from public.executors as x;

comment on view public.executor_health is
'Executors with their liveness (healthy: seen within 2 min; late: within 15 min; silent: older) and live attempts (RLS of the caller applies).';
comment on column public.executor_health.executor_id is 'The executor.';
comment on column public.executor_health.workspace_id is 'Workspace it is confined to (null: shared).';
comment on column public.executor_health.pool is 'Pool.';
comment on column public.executor_health.labels is 'Capabilities.';
comment on column public.executor_health.version is 'Software version.';
comment on column public.executor_health.host is 'Host.';
comment on column public.executor_health.status is 'Registered status.';
comment on column public.executor_health.registered_at is 'Registration time.';
comment on column public.executor_health.last_seen_at is 'Last claim or heartbeat.';
comment on column public.executor_health.silent_for is 'Time since last_seen_at.';
comment on column public.executor_health.health is 'healthy | late | silent | draining | stopped.';
comment on column public.executor_health.live_attempts is 'Claimed or running attempts it holds.';

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

revoke all on table public.run_board, public.executor_health, public.queue_depth_by_pool
from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.run_board, public.executor_health, public.queue_depth_by_pool
to authenticated, service_role;
