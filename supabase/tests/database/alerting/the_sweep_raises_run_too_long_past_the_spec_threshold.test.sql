begin;
select plan(4);

-- SETUP
select tests.seed('{"alerts": {"duration_warning_seconds": 600}}');
select * from tests.running_attempt(now() - interval '5 minutes') \gset
select tests.reset_role();

-- TEST: before the threshold nothing is raised
select public.sweep_alerts(now(), tests.workspace_id());
select is((select count(*)::integer from public.alert_signals where alert_signals.run_id = :'run_id'), 0,
    'a run under its duration warning raises nothing');

-- TEST: past the threshold the sweep raises run_too_long once
select public.sweep_alerts(now() + interval '6 minutes', tests.workspace_id());
select public.sweep_alerts(now() + interval '30 minutes', tests.workspace_id());
select is(
    (select array_agg(alert_signals.signal_type || ' ' || alert_signals.severity) from public.alert_signals where alert_signals.run_id = :'run_id'),
    array['run_too_long warning'], 'past alerts.duration_warning_seconds the sweep raises run_too_long, once per run'
);
select is(
    (select alert_signals.fingerprint from public.alert_signals where alert_signals.run_id = :'run_id'),
    'run_too_long:run:' || :'run_id', 'run_too_long is fingerprinted by the run'
);
select is(
    (select (alert_signals.payload ->> 'threshold_seconds')::integer from public.alert_signals where alert_signals.run_id = :'run_id'),
    600, 'the payload gives the threshold'
);

select * from finish();
rollback;
