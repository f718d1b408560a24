begin;
select plan(6);

-- SETUP
select tests.seed('{"retries": {"max_attempts": 2}, "alerts": {"labels": {"team": "data"}}}');
select * from tests.claimed_attempt(now() - interval '1 hour') \gset
select public.fail_run(:'lease', true, 'io', 'first', now() - interval '1 hour');
select tests.reset_role();

-- TEST: a retryable failure that requeues raises nothing
select is((select count(*)::integer from public.alert_signals where alert_signals.run_id = :'run_id'), 0,
    'a failure that is retried raises no signal');

-- SETUP
select tests.authenticate_as_executor(tests.pool(), tests.workspace_id());
select tests.claim(:'executor_id', now()) as last_lease \gset
select public.fail_run(:'last_lease', true, 'io', 'second');
select tests.reset_role();

-- TEST: the final failure raises run_failed and retries_exhausted, with the pipeline's labels
select is(
    (select array_agg(alert_signals.signal_type order by alert_signals.signal_type) from public.alert_signals where alert_signals.run_id = :'run_id'),
    array['retries_exhausted', 'run_failed'], 'the final failure raises run_failed and retries_exhausted'
);
select is(
    (select alert_signals.fingerprint from public.alert_signals where alert_signals.run_id = :'run_id' and alert_signals.signal_type = 'run_failed'),
    'run_failed:spec:etl', 'run_failed is fingerprinted by its pipeline'
);
select is(
    (select alert_signals.severity from public.alert_signals where alert_signals.run_id = :'run_id' and alert_signals.signal_type = 'run_failed'),
    'critical', 'a final failure is critical'
);
select is(
    (select alert_signals.labels from public.alert_signals where alert_signals.run_id = :'run_id' and alert_signals.signal_type = 'run_failed'),
    '{"team": "data"}'::jsonb, 'the signal carries the spec''s alerts.labels'
);
select is(
    (select alert_signals.payload ->> 'error_class' from public.alert_signals where alert_signals.run_id = :'run_id' and alert_signals.signal_type = 'run_failed'),
    'io', 'the payload names the error class of the last attempt'
);

select * from finish();
rollback;
