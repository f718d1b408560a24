begin;
select plan(3);

select tests.seed();
select set_config('t.run', tests.submit_run(tests.workspace_id(), 'etl', 0, now() - interval '2 hours')::text, true);
select set_config('t.lease', tests.claim(tests.executor(tests.workspace_id()), now() - interval '1 hour')::text, true);
select tests.reset_role();
select public.requeue_stale_runs();
select tests.authenticate_as_executor(tests.pool(), tests.workspace_id());

select is(
    (select public.fail_run(current_setting('t.lease')::uuid, true, 'io') ->> 'code'),
    'PT409', 'a fail with a dead lease is rejected'
);
select tests.reset_role();
select is((tests.run(current_setting('t.run')::uuid)).attempt_count, 1, 'the run is unchanged');
select is((tests.run(current_setting('t.run')::uuid)).status, 'queued', 'and still queued');

select * from finish();
rollback;
