begin;
select plan(2);

select tests.seed('{"retries": {"max_attempts": 2}}');
select set_config('t.run', tests.submit_run(tests.workspace_id(), 'etl', 0, now() - interval '1 day')::text, true);
select set_config('t.executor', tests.executor(tests.workspace_id())::text, true);
select set_config('t.lease', tests.claim(current_setting('t.executor')::uuid, now() - interval '1 hour')::text, true);
select public.fail_run(current_setting('t.lease')::uuid, true, 'io', 'first', now() - interval '1 hour');
select set_config('t.lease', tests.claim(current_setting('t.executor')::uuid)::text, true);

select is(
    (select public.fail_run(current_setting('t.lease')::uuid, true, 'io', 'second') ->> 'run_status'),
    'failed', 'the last allowed attempt fails the run even if retryable'
);
select tests.reset_role();
select is(
    (tests.run(current_setting('t.run')::uuid)).status_reason,
    'retries exhausted: attempt 2 of 2 failed (io)',
    'the reason says the retries are exhausted'
);

select * from finish();
rollback;
