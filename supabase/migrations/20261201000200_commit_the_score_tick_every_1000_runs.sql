-- Why: the score refresh tick rescored up to 10,000 queued runs of a pool in one transaction
-- (about 1.5 s). Its FOR UPDATE SKIP LOCKED also locks, and keeps until commit, the newest version of
-- every run claimed while it ran (the row fails the recheck but stays locked), so completions of
-- those runs waited for the tick: in a 32-executor drain it was the first cause of lock waits
-- (docs/benchmarks.md, 2026-12-01). Now up to 10 batches of 1,000 per pool, each committed.

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
    v_reply jsonb;
begin
    for v_pool in
        select x.pool from public.executors as x
        union
        select u.pool from public.fair_share_usage as u
    loop
        for v_batch in 1..10 loop
            v_reply := public.refresh_scores(v_pool, 1000, pg_catalog.now());
            commit;
            exit when not coalesce((v_reply ->> 'more')::boolean, false);
        end loop;
    end loop;
end
$tick$$job$
);
