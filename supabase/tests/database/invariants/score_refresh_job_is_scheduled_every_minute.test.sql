begin;
select plan(2);

-- TEST: pg_cron refreshes the scores of every pool every minute
select results_eq(
    $$ select j.schedule from cron.job as j where j.jobname = 'controlroom_refresh_scores' $$,
    $$ values ('* * * * *'::text) $$,
    'pg_cron runs the score refresh tick every minute under one namespaced job'
);
select matches(
    (select j.command from cron.job as j where j.jobname = 'controlroom_refresh_scores'),
    'for v_batch in 1\.\.10 loop\s+v_reply := public\.refresh_scores\(v_pool, 1000, pg_catalog\.now\(\)\);\s+commit;',
    'the job refreshes each pool in up to 10 batches of 1000 runs, committing after each'
);

select * from finish();
rollback;
