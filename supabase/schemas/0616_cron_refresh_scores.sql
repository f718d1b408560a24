-- Why: the score refresh tick (public.refresh_scores, 0615) runs every minute from pg_cron for every
-- pool that has executors or fair-share usage, one bounded batch per pool and transaction.
-- Rescheduled idempotently.
select cron.unschedule(j.jobid)
from cron.job as j
where j.jobname = 'controlroom_refresh_scores';

select cron.schedule(
    'controlroom_refresh_scores',
    '* * * * *',
    $job$do $tick$
declare
    v_pool text;
begin
    for v_pool in
        select x.pool from public.executors as x
        union
        select u.pool from public.fair_share_usage as u
    loop
        perform public.refresh_scores(v_pool, 10000, pg_catalog.now());
        commit;
    end loop;
end
$tick$$job$
);
