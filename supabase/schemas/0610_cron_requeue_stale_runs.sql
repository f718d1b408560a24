-- Why: requeue_stale_runs (0600) runs every minute from pg_cron, so leases expire and runs time out
-- with zero live executors. The call names no workspace: it sweeps them all.

-- Schedule it every minute, idempotently: unschedule a job of that name if present, then schedule.
select cron.unschedule(j.jobid)
from cron.job as j
where j.jobname = 'controlroom_requeue_stale_runs';

select cron.schedule(
    'controlroom_requeue_stale_runs',
    '* * * * *',
    'select public.requeue_stale_runs()'
);
