begin;
select plan(2);

-- SETUP
select tests.seed('{"retries": {"max_attempts": 2}}');
select * from tests.claimed_attempt(now() - interval '1 hour') \gset
select public.fail_run(:'lease', true, 'io', 'first', now() - interval '1 hour');
select tests.claim(:'executor_id') as last_lease \gset

-- TEST: the last allowed attempt fails the run, and says why
select is(
    (select public.fail_run(:'last_lease', true, 'io', 'second') ->> 'run_status'),
    'failed', 'the last allowed attempt fails the run even if retryable'
);
select tests.reset_role();
select is(
    (tests.run(:'run_id')).status_reason,
    'retries exhausted: attempt 2 of 2 failed (io)',
    'the reason says the retries are exhausted'
);

select * from finish();
rollback;
