-- Why: a run that waited for room under its workspace's orchestration caps (concurrency, the daily
-- budget's reservation) became claimable when another run finished, without a status change of its
-- own, so no wake-up was sent: subscribed executors found it only at their fallback poll (5 s).
-- A run that finishes in a workspace with limits now wakes its pool (issue 18: "a cap freeing up").

set lock_timeout = '5s';
set statement_timeout = '60s';

create or replace function private.runs_wake_after_update()
returns trigger
language plpgsql
set search_path = ''
-- Transition tables carry no statistics: a hash join keeps a 10,000-run requeue linear.
set enable_nestloop = off
as $$
begin
    perform private.wake_executors(w.pool, w.runs, w.not_before)
    from (
        select n.pool, pg_catalog.count(*) as runs, pg_catalog.min(n.not_before) as not_before
        from new_runs as n
        inner join old_runs as o on o.id = n.id
        where n.status = 'queued' and o.status <> 'queued'
        group by n.pool
    ) as w;
    -- A run that finishes frees room under its workspace's orchestration caps (concurrency, the
    -- budget's reservation): runs that waited for that room become claimable without a status
    -- change of their own, so the pool of the finished run is woken for as many runs as finished.
    -- Only workspaces with limits pay for it (no limits row: nothing ever waits for room). Other
    -- pools of a workspace-wide cap find the room at their fallback poll (docs/realtime.md).
    perform private.wake_executors(f.pool, f.runs, null)
    from (
        select n.pool, pg_catalog.count(*) as runs
        from new_runs as n
        inner join old_runs as o on o.id = n.id
        where o.status = any(private.active_run_statuses())
          and n.status = any(private.terminal_run_statuses())
          and exists (select from public.workspace_limits as l where l.workspace_id = n.workspace_id)
        group by n.pool
    ) as f;
    return null;
end
$$;

comment on function private.runs_wake_after_update() is
'Trigger: runs that become queued again (a lost lease, a retry after backoff) wake executors of their pool, one message per pool per statement; not_before tells the woken executors when the earliest of them becomes claimable. Runs that finish in a workspace with orchestration caps wake their pool too: the room they free may let a waiting run be claimed.';
