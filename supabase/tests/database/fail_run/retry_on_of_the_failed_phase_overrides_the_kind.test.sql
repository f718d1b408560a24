begin;
select plan(4);

-- SETUP
select tests.seed('{"retries": {"max_attempts": 5, "base_seconds": 10}, "phases": [
    {"name": "install", "retry_on": ["transient", "ModuleNotFoundError"]},
    {"name": "load", "retry_on": []}
]}');
select * from tests.running_attempt(now() - interval '1 hour') \gset

-- TEST: a phase that names an error class retries it even though it is deterministic
select is(
    (select public.fail_run(
        :'lease', false, 'ModuleNotFoundError', null, now() - interval '1 hour', 'deterministic', 'install'
    ) ->> 'run_status'),
    'queued', 'retry_on: [ModuleNotFoundError] retries that deterministic failure'
);

-- SETUP
select tests.claim(:'executor_id', now() - interval '50 minutes') as lease2 \gset
select public.start_run(:'lease2', now() - interval '50 minutes');

-- TEST: retry_on: [] never retries, even a transient failure
select is(
    (select public.fail_run(
        :'lease2', true, 'ConnectionError', null, now() - interval '50 minutes', 'transient', 'load'
    ) ->> 'run_status'),
    'failed', 'retry_on: [] fails the run at a transient failure'
);
select tests.reset_role();
select is((tests.run(:'run_id')).attempt_count, 2, 'after two attempts of five');
select is(
    (select t.reason from public.run_transitions as t where t.run_id = :'run_id' order by t.id desc limit 1),
    'attempt 2 failed (ConnectionError, transient): not in the retry_on of phase load, not retried',
    'the transition says why'
);

select * from finish();
rollback;
