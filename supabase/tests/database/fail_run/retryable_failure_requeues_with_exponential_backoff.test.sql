begin;
select plan(5);

-- SETUP
select tests.seed('{"retries": {"max_attempts": 5, "base_seconds": 10, "max_backoff_seconds": 3600}}');
select * from tests.claimed_attempt(now() - interval '1 hour') \gset

-- TEST: attempt 1 fails at t0 and the run is retried after 10 s
select is(
    (select public.fail_run(:'lease', true, 'io', null, now() - interval '1 hour') ->> 'run_status'),
    'queued', 'a retryable failure with attempts left requeues the run'
);
select tests.reset_role();
select is(
    (tests.run(:'run_id')).not_before,
    now() - interval '1 hour' + interval '10 seconds',
    'attempt 1: not_before = failure time + base'
);

-- SETUP
-- attempt 2 fails: 20 s; attempt 3 fails: 40 s
select tests.authenticate_as_executor(tests.pool(), tests.workspace_id());
select tests.claim(:'executor_id', now() - interval '50 minutes') as lease2 \gset
select public.fail_run(:'lease2', true, 'io', null, now() - interval '50 minutes');
select tests.claim(:'executor_id', now() - interval '40 minutes') as lease3 \gset
select public.fail_run(:'lease3', true, 'io', null, now() - interval '40 minutes');
select tests.reset_role();

-- TEST: the delay doubles per attempt, on the same run, and the transition says why
select results_eq(
    format(
        $$
        select a.attempt_no, a.retry_delay, a.retry_jitter
        from public.run_attempts as a where a.run_id = %L order by a.attempt_no
        $$,
        :'run_id'
    ),
    $$ values (1, interval '10 seconds', interval '0'), (2, interval '20 seconds', interval '0'), (3, interval '40 seconds', interval '0') $$,
    'the delay doubles per attempt and is recorded on the attempt'
);
select is((tests.run(:'run_id')).attempt_count, 3, 'the run keeps its identity across attempts');
select is(
    (select t.reason from public.run_transitions as t where t.run_id = :'run_id' order by t.id desc limit 1),
    'attempt 3 of 5 failed (io); retry after 00:00:40',
    'the transition says why and when'
);

select * from finish();
rollback;
