begin;
select plan(3);

-- SETUP
select tests.seed('{"retries": {"max_attempts": 3, "base_seconds": 10}, "phases": [{"name": "load"}]}');
select * from tests.running_attempt(now() - interval '1 hour') \gset

-- TEST: a transient failure with attempts left is retried after the backoff, as before
select is(
    (select public.fail_run(
        :'lease', false, 'artifact_store_unavailable', 'S3 answered 503', now() - interval '1 hour',
        'transient', 'load'
    ) ->> 'run_status'),
    'queued', 'a transient failure requeues the run (the database decides, not retryable)'
);
select tests.reset_role();
select is(
    (tests.run(:'run_id')).not_before, now() - interval '1 hour' + interval '10 seconds',
    'with the usual backoff'
);
select is(
    (select t.reason from public.run_transitions as t where t.run_id = :'run_id' order by t.id desc limit 1),
    'attempt 1 of 3 failed (artifact_store_unavailable); retry after 00:00:10',
    'the transition says why and when'
);

select * from finish();
rollback;
