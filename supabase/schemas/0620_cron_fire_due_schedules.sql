-- Why: schedules fire from pg_cron every minute (pg_cron 1.4 has no seconds), one bounded batch of
-- due schedules per transaction (private.fire_due_schedules, 0485). The job names no workspace: it
-- ticks them all. Rescheduled idempotently.

select cron.unschedule(j.jobid)
from cron.job as j
where j.jobname = 'controlroom_fire_due_schedules';

select cron.schedule(
    'controlroom_fire_due_schedules',
    '* * * * *',
    $job$do $tick$
begin
    while (private.fire_due_schedules(pg_catalog.now(), 100) ->> 'more')::boolean loop
        commit;
    end loop;
end
$tick$$job$
);
