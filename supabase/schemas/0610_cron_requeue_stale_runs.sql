-- Why: the requeue sweep (private.sweep_stale_runs, 0595) runs every minute from pg_cron, so leases
-- expire and runs time out with zero live executors. The job names no workspace: it sweeps them
-- all.

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
