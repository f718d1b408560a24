-- Rollback of 20261130900000: finished runs no longer wake their pool.

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
    return null;
end
$$;

comment on function private.runs_wake_after_update() is
'Trigger: runs that become queued again (a lost lease, a retry after backoff) wake executors of their pool, one message per pool per statement; not_before tells the woken executors when the earliest of them becomes claimable.';
