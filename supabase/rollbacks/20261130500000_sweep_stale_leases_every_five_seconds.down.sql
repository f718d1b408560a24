-- Rollback of 20261130500000_sweep_stale_leases_every_five_seconds: pg_cron's job sweeps once a
-- minute again, and the cadence function is gone.

set lock_timeout = '5s';
set statement_timeout = '60s';

-- pg_cron sweeps every minute, one bounded batch per transaction: a DO block, not a procedure,
-- because a procedure that commits cannot pin its search_path. Rescheduled idempotently.
select cron.unschedule(j.jobid)
from cron.job as j
where j.jobname = 'controlroom_requeue_stale_runs';

select cron.schedule(
    'controlroom_requeue_stale_runs',
    '* * * * *',
    $job$do $sweep$
begin
    while (private.sweep_stale_runs(pg_catalog.now(), null, 1000) ->> 'more')::boolean loop
        commit;
    end loop;
end
$sweep$$job$
);

drop function private.requeue_sweep_cadence();
