begin;
select plan(2);

select tests.seed();
select set_config('t.run', tests.submit_run(tests.workspace_id(), 'etl')::text, true);
select set_config('t.lease', tests.claim(tests.executor(tests.workspace_id()))::text, true);
select public.start_run(current_setting('t.lease')::uuid);

select is(
    (select public.fail_run(current_setting('t.lease')::uuid, false, 'python.ValueError', 'bad input') ->> 'run_status'),
    'failed', 'a non-retryable failure fails the run'
);
select tests.reset_role();
select results_eq(
    $$ select a.status, a.error_class, a.error_message, a.retryable from public.run_attempts as a where a.lease_token = current_setting('t.lease')::uuid $$,
    $$ values ('failed'::text, 'python.ValueError'::text, 'bad input'::text, false) $$,
    'the attempt records the error'
);

select * from finish();
rollback;
