-- Rollback of 20261126030700_create_requeue_stale_runs.

select cron.unschedule(j.jobid)
from cron.job as j
where j.jobname = 'controlroom_requeue_stale_runs';

drop function public.requeue_stale_runs(timestamptz);
