-- Rollback of 20261201000200: one batch of 10,000 runs per pool and tick again.

set lock_timeout = '5s';
set statement_timeout = '60s';

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
