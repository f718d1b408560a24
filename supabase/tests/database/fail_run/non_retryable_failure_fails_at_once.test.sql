begin;
select plan(2);

-- SETUP
select tests.seed();
select * from tests.running_attempt() \gset

-- TEST: a non-retryable failure fails the run and is recorded on the attempt
select is(
    (select public.fail_run(:'lease', false, 'python.ValueError', 'bad input') ->> 'run_status'),
    'failed', 'a non-retryable failure fails the run'
);
select tests.reset_role();
select results_eq(
    format(
        $$ select a.status, a.error_class, a.error_message, a.retryable from public.run_attempts as a where a.lease_token = %L $$,
        :'lease'
    ),
    $$ values ('failed'::text, 'python.ValueError'::text, 'bad input'::text, false) $$,
    'the attempt records the error'
);

select * from finish();
rollback;
