begin;
select plan(1);

-- TEST: pg_cron sweeps every workspace every minute
select results_eq(
    $$ select j.schedule, j.command from cron.job as j where j.jobname = 'controlroom_requeue_stale_runs' $$,
    $$ values ('* * * * *'::text, 'select public.requeue_stale_runs()'::text) $$,
    'pg_cron runs requeue_stale_runs every minute under one namespaced job'
);

select * from finish();
rollback;
