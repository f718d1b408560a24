-- Why: "how much did each workspace use today?" was answered by the CLI and the page adding up
-- attempts themselves, from at most one page of rows (the page read 1,000 attempts, so a busy
-- week was silently undercounted), by UTC day whatever the workspace's budget day, and without
-- the pools' cost rates or the budget. One function, in the database, the same for every client:
-- run-seconds per workspace, day (in the workspace's budget time zone) and pool, an attempt that
-- spans midnight split between its days, weighted by the pool's cost rate, next to the daily
-- budget. security invoker: the caller's RLS on run_attempts decides what is counted.

create function public.workspace_usage(
    since timestamptz default null,
    until timestamptz default null,
    workspace_id uuid default null
)
returns table (
    workspace_id uuid,
    day date,
    time_zone text,
    pool text,
    run_seconds double precision,
    cost_seconds double precision,
    attempts bigint,
    daily_budget_seconds double precision
)
language sql
stable
security invoker
set search_path = ''
as $$
    with bounds as (
        select
            coalesce(workspace_usage.since, pg_catalog.now() - interval '7 days') as lo,
            coalesce(workspace_usage.until, pg_catalog.now()) as hi
    ),
    spans as (
        -- Usage is what an attempt held: from its start (its claim while it has not started) to
        -- its end, or to now while it is live; queue time is not usage. Clipped to the window.
        select
            a.workspace_id,
            a.id,
            r.pool,
            coalesce(wl.budget_time_zone, 'UTC') as tz,
            coalesce(pl.cost_rate, 1) as rate,
            wl.daily_budget_seconds,
            greatest(
                coalesce(a.started_at, case when a.finished_at is null then a.claimed_at else a.finished_at end),
                b.lo
            ) as s,
            least(coalesce(a.finished_at, b.hi), b.hi) as e
        from public.run_attempts as a
        cross join bounds as b
        inner join public.runs as r on r.id = a.run_id
        left join public.workspace_limits as wl on wl.workspace_id = a.workspace_id
        left join public.pool_limits as pl on pl.workspace_id = a.workspace_id and pl.pool = r.pool
        where (workspace_usage.workspace_id is null or a.workspace_id = workspace_usage.workspace_id)
          and (a.finished_at is null or a.finished_at > b.lo)
          and a.claimed_at < b.hi
    ),
    parts as (
        select
            sp.workspace_id,
            sp.id,
            sp.pool,
            sp.tz,
            sp.rate,
            sp.daily_budget_seconds,
            d.local_day,
            greatest(0, extract(epoch from
                least(sp.e, (d.local_day + interval '1 day') at time zone sp.tz)
                - greatest(sp.s, d.local_day at time zone sp.tz)
            ))::double precision as seconds
        from spans as sp
        cross join lateral pg_catalog.generate_series(
            pg_catalog.date_trunc('day', sp.s at time zone sp.tz),
            pg_catalog.date_trunc('day', sp.e at time zone sp.tz),
            interval '1 day'
        ) as d (local_day)
        where sp.e > sp.s
    )
    select
        p.workspace_id,
        p.local_day::date as day,
        p.tz as time_zone,
        p.pool,
        pg_catalog.sum(p.seconds) as run_seconds,
        pg_catalog.sum(p.seconds * p.rate) as cost_seconds,
        pg_catalog.count(distinct p.id) as attempts,
        pg_catalog.max(p.daily_budget_seconds) as daily_budget_seconds
    from parts as p
    group by p.workspace_id, p.local_day, p.tz, p.pool
    order by day, p.workspace_id, p.pool
$$;

comment on function public.workspace_usage(timestamptz, timestamptz, uuid) is
'Run-seconds per workspace, day (the workspace''s budget time zone, UTC without limits) and pool, between since (default 7 days ago) and until (default now): each attempt from its start (its claim while not started) to its end or now, split at midnight; cost_seconds weighted by the pool''s cost_rate (what the daily budget counts); daily_budget_seconds from workspace_limits (null: none). Only what the caller may read (security invoker, RLS).';

revoke execute on function public.workspace_usage(timestamptz, timestamptz, uuid)
from public, anon, authenticated, service_role, controlroom_executor;
grant execute on function public.workspace_usage(timestamptz, timestamptz, uuid) to authenticated, service_role;
