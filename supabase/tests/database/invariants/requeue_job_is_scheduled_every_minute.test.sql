begin;
select plan(2);

-- TEST: pg_cron sweeps every workspace every minute
select results_eq(
    $$ select j.schedule from cron.job as j where j.jobname = 'controlroom_requeue_stale_runs' $$,
    $$ values ('* * * * *'::text) $$,
    'pg_cron runs the requeue sweep every minute under one namespaced job'
);
select matches(
    (select j.command from cron.job as j where j.jobname = 'controlroom_requeue_stale_runs'),
    'private\.sweep_stale_runs\(pg_catalog\.now\(\), null, 1000\).*commit;',
    'the job sweeps every workspace in bounded batches of 1000 leases, committing after each'
);

select * from finish();
rollback;
