begin;
select plan(5);

select tests.seed('{"retries": {"max_attempts": 5, "base_seconds": 10, "max_backoff_seconds": 3600}}');
select set_config('t.run', tests.submit_run(tests.workspace_id(), 'etl', 0, now() - interval '1 day')::text, true);
select set_config('t.executor', tests.executor(tests.workspace_id())::text, true);

-- attempt 1 fails at t0: retry after 10 s
select set_config('t.lease', tests.claim(current_setting('t.executor')::uuid, now() - interval '1 hour')::text, true);
select is(
    (select public.fail_run(current_setting('t.lease')::uuid, true, 'io', null, now() - interval '1 hour') ->> 'run_status'),
    'queued', 'a retryable failure with attempts left requeues the run'
);
select tests.reset_role();
select is(
    (tests.run(current_setting('t.run')::uuid)).not_before,
    now() - interval '1 hour' + interval '10 seconds',
    'attempt 1: not_before = failure time + base'
);
select tests.authenticate_as_executor(tests.pool(), tests.workspace_id());

-- attempt 2 fails: 20 s; attempt 3 fails: 40 s
select set_config('t.lease', tests.claim(current_setting('t.executor')::uuid, now() - interval '50 minutes')::text, true);
select public.fail_run(current_setting('t.lease')::uuid, true, 'io', null, now() - interval '50 minutes');
select set_config('t.lease', tests.claim(current_setting('t.executor')::uuid, now() - interval '40 minutes')::text, true);
select public.fail_run(current_setting('t.lease')::uuid, true, 'io', null, now() - interval '40 minutes');
select tests.reset_role();

select results_eq(
    $$
    select a.attempt_no, a.retry_delay, a.retry_jitter
    from public.run_attempts as a where a.run_id = current_setting('t.run')::uuid order by a.attempt_no
    $$,
    $$ values (1, interval '10 seconds', interval '0'), (2, interval '20 seconds', interval '0'), (3, interval '40 seconds', interval '0') $$,
    'the delay doubles per attempt and is recorded on the attempt'
);
select is((tests.run(current_setting('t.run')::uuid)).attempt_count, 3, 'the run keeps its identity across attempts');
select is(
    (select t.reason from public.run_transitions as t where t.run_id = current_setting('t.run')::uuid order by t.id desc limit 1),
    'attempt 3 of 5 failed (io); retry after 00:00:40',
    'the transition says why and when'
);

select * from finish();
rollback;
