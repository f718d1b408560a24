begin;
select plan(3);

select tests.seed();
select tests.submit_run(tests.workspace_id(), 'etl');
select set_config('t.lease', tests.claim(tests.executor(tests.workspace_id()))::text, true);

select throws_ok(
    $$ select public.fail_run(current_setting('t.lease')::uuid, null, 'io') $$,
    '22023', null, 'retryable is required'
);
select throws_ok(
    $$ select public.fail_run(current_setting('t.lease')::uuid, true, 'has spaces') $$,
    '22023', null, 'error_class is a stable token'
);
select throws_ok(
    $$ select public.fail_run(current_setting('t.lease')::uuid, true, 'io', repeat('x', 10001)) $$,
    '22023', null, 'the message is bounded'
);

select * from finish();
rollback;
