-- Why: the control room (Studio, the CLI, dashboards) needs three read models: the run board,
-- executor health and queue depth per pool. They are plain views with security_invoker, so RLS
-- of the caller applies: members see their workspaces, nobody else sees anything.

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
    -- Judged against the period the executor declared (it calls heartbeat or claim_runs at least
    -- that often, idle or busy): healthy within 1.5 periods, late within 3, lost after that (two
    -- beats missed). What it said about itself wins while it keeps talking: draining; stopped is final.
    case
        when x.status = 'stopped' then 'stopped'
        when not private.executor_is_live(x.last_seen_at, x.heartbeat_seconds, pg_catalog.now()) then 'lost'
        when x.status = 'draining' then 'draining'
        when x.last_seen_at >= pg_catalog.now() - pg_catalog.make_interval(secs => 1.5 * x.heartbeat_seconds)
            then 'healthy'
        else 'late'
    end as health,
    (
        select pg_catalog.count(*)
        from public.run_attempts as a
        where a.executor_id = x.id and a.finished_at is null
    ) as live_attempts,
    x.heartbeat_seconds,
    x.status_changed_at
from public.executors as x;

comment on view public.executor_health is
'Executors with their liveness judged against the heartbeat period each declared (healthy: seen within 1.5 periods; late: within 3; lost: silent longer; draining and stopped as the executor reported them) and live attempts (RLS of the caller applies).';
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
comment on column public.executor_health.health is 'healthy | late | lost | draining | stopped.';
comment on column public.executor_health.live_attempts is 'Claimed or running attempts it holds.';
comment on column public.executor_health.heartbeat_seconds is 'The period it declared at registration.';
comment on column public.executor_health.status_changed_at is 'When it reported draining or stopped.';

revoke all on table public.executor_health from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.executor_health to authenticated, service_role;
