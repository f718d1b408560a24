begin;
select plan(2);

-- TEST: pg_cron applies the retention policies every hour, committing after each bounded batch
select results_eq(
    $$ select j.schedule from cron.job as j where j.jobname = 'controlroom_apply_retention' $$,
    $$ values ('17 * * * *'::text) $$,
    'one namespaced job, hourly'
);
select matches(
    (select j.command from cron.job as j where j.jobname = 'controlroom_apply_retention'),
    'private\.apply_retention\(pg_catalog\.now\(\), 5000\).*commit;',
    'batches of at most 5000 rows, committing after each'
);

select * from finish();
rollback;
