-- Why: the score refresh tick (public.refresh_scores, 0615) runs every minute from pg_cron for every
-- pool that has executors or fair-share usage: up to 10 batches of 1,000 runs per pool, each its own
-- transaction. A batch holds its runs' row locks until it commits, and among them the runs claimed
-- while it ran (Postgres keeps the lock on a row whose recheck fails): one batch of 10,000 held
-- completions of those runs for seconds every minute (docs/benchmarks.md, 2026-12-01).
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
