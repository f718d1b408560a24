-- Rollback of 20261201500100: the requeue job sleeps between sweeps in one pg_sleep statement again.

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
begin
    select c.every, pg_catalog.clock_timestamp() + c.sweep_for into v_every, v_until
    from private.requeue_sweep_cadence() as c;
    loop
        while (private.sweep_stale_runs(pg_catalog.now(), null, 1000) ->> 'more')::boolean loop
            commit;
        end loop;
        commit;
        exit when pg_catalog.clock_timestamp() >= v_until;
        perform pg_catalog.pg_sleep(
            extract(epoch from least(v_every, v_until - pg_catalog.clock_timestamp()))::double precision
        );
        commit;
    end loop;
end
$sweep$$job$
);
