begin;
select plan(4);

-- SETUP
select tests.seed('{"retries": {"max_attempts": 3}, "phases": [{"name": "load"}]}');
select * from tests.running_attempt() \gset

-- TEST: a deterministic failure fails the run at its first attempt, whatever the executor's retryable
select is(
    (select public.fail_run(
        :'lease', true, 'ModuleNotFoundError', 'No module named ''etl_jobs''', null, 'deterministic', 'load'
    ) ->> 'run_status'),
    'failed', 'a deterministic failure with attempts left fails the run'
);
select tests.reset_role();
select is((tests.run(:'run_id')).attempt_count, 1, 'one attempt only');
select is(
    (select a.retryable from public.run_attempts as a where a.lease_token = :'lease'),
    false, 'the attempt records that it was not retried'
);
select is(
    (select t.reason from public.run_transitions as t where t.run_id = :'run_id' order by t.id desc limit 1),
    'attempt 1 failed with a deterministic error (ModuleNotFoundError): a retry cannot fix it, not retried',
    'the transition says why'
);

select * from finish();
rollback;
