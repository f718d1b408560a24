-- Rollback of 20261130700100_raise_alert_signals: the sweep job, the sweep and the signal triggers
-- are dropped; signals already raised stay.

set lock_timeout = '5s';
set statement_timeout = '60s';

select cron.unschedule(j.jobid)
from cron.job as j
where j.jobname = 'controlroom_sweep_alerts';

drop function public.sweep_alerts(timestamptz, uuid, integer);
drop function private.raise_time_signals(timestamptz, uuid);
drop trigger run_events_raise_signals on public.run_events;
drop function private.run_events_raise_signals();
drop trigger run_transitions_raise_signals on public.run_transitions;
drop function private.run_transitions_raise_signals();
