-- Why: the requeue job slept 5 s between sweeps in one pg_sleep statement, and a statement holds a
-- snapshot while it runs: for 5 s of every 5, 55 s a minute, vacuum's horizon stood still. Runs
-- claimed meanwhile left entries at the head of runs_claimable_idx that no claim could skip as dead,
-- and a drain of 20,000 runs by 32 executors slowed to a third at times (docs/benchmarks.md). The
-- sleep is now cut in slices of at most 0.2 s, each its own transaction; the cadence is unchanged.

set lock_timeout = '5s';
set statement_timeout = '60s';

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
