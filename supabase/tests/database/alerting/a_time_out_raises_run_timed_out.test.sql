begin;
select plan(2);

-- SETUP
select tests.seed('{"caps": {"max_duration_seconds": 60}}');
select * from tests.running_attempt(now() - interval '10 minutes') \gset
select tests.reset_role();
select public.requeue_stale_runs(null, tests.workspace_id());

-- TEST: the run past its maximum duration is timed out, which raises run_timed_out
select is((tests.run(:'run_id')).status, 'timed_out', 'the run timed out');
select is(
    (select array_agg(alert_signals.signal_type || ' ' || alert_signals.fingerprint) from public.alert_signals where alert_signals.run_id = :'run_id'),
    array['run_timed_out run_timed_out:spec:etl'], 'the time-out raises run_timed_out for the pipeline'
);

select * from finish();
rollback;
