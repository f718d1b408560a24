-- Why: the requeue sweep (private.sweep_stale_runs, 0595) runs from pg_cron every few seconds, so
-- leases expire and runs time out with zero live executors, and a dead executor's runs are claimed
-- again seconds after its lease tolerance (not up to a minute later). The job names no workspace:
-- it sweeps them all.

-- pg_cron starts the job every minute; the job sweeps every few seconds within its minute
-- (private.requeue_sweep_cadence, 0608), one bounded batch per transaction: a DO block, not a
-- procedure, because a procedure that commits cannot pin its search_path. pg_cron never runs two
-- instances of one job at once: a run that overruns its minute delays the next one, which then
-- starts at once. The first sweep of a run catches up with everything that went stale meanwhile
-- (after a Postgres restart: everything since the outage began), batch after batch. Each sweep
-- reads the clock after the sleep (commit first), so it never judges leases by a stale now().
-- GUARD: the sleep between sweeps is cut in slices of at most 0.2 s, each its own transaction. A
-- statement holds a snapshot while it runs: one 5 s pg_sleep held back vacuum's horizon for 5 s
-- of every 5, so the runs claimed meanwhile left entries at the head of runs_claimable_idx that no
-- claim could skip as dead, and drains of 20,000 runs slowed to a third (docs/benchmarks.md).
-- Rescheduled idempotently.
select cron.unschedule(j.jobid)
from cron.job as j
where j.jobname = 'controlroom_requeue_stale_runs';

select cron.schedule(
    'controlroom_requeue_stale_runs',
    '* * * * *',
    $job$do $sweep$
declare
    v_every interval;
    v_until timestamptz;
    v_next timestamptz;
begin
    select c.every, pg_catalog.clock_timestamp() + c.sweep_for into v_every, v_until
    from private.requeue_sweep_cadence() as c;
    loop
        while (private.sweep_stale_runs(pg_catalog.now(), null, 1000) ->> 'more')::boolean loop
            commit;
        end loop;
        commit;
        exit when pg_catalog.clock_timestamp() >= v_until;
        v_next := least(pg_catalog.clock_timestamp() + v_every, v_until);
        while pg_catalog.clock_timestamp() < v_next loop
            perform pg_catalog.pg_sleep(
                least(0.2, extract(epoch from v_next - pg_catalog.clock_timestamp())::double precision)
            );
            commit;
        end loop;
    end loop;
end
$sweep$$job$
);
