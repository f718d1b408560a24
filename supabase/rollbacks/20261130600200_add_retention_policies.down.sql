-- Rollback of 20261130600200_add_retention_policies.sql.

set lock_timeout = '5s';
set statement_timeout = '60s';

select cron.unschedule(j.jobid)
from cron.job as j
where j.jobname = 'controlroom_apply_retention';

drop function private.apply_retention(timestamptz, integer);
drop function public.set_retention_policy(uuid, integer, integer, timestamptz);
drop function private.purge_run_events(uuid, timestamptz, integer);
drop function private.purge_finished_runs_of(uuid, timestamptz, integer);
drop table public.retention_purges;
drop table public.retention_policies;
