-- Why: escalation and the time-based signals must happen with no dispatcher polling (issue 14):
-- pg_cron runs the alert sweep every minute, one bounded batch per transaction (like 0610).
-- Rescheduled idempotently.
select cron.unschedule(j.jobid)
from cron.job as j
where j.jobname = 'controlroom_sweep_alerts';

select cron.schedule(
    'controlroom_sweep_alerts',
    '* * * * *',
    $job$do $sweep$
begin
    while (public.sweep_alerts(null, null, 1000) ->> 'more')::boolean loop
        commit;
    end loop;
end
$sweep$$job$
);
