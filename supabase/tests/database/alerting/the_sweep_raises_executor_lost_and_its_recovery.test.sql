begin;
select plan(4);

-- SETUP
select tests.seed();
select tests.publish_routes(tests.routes(null, '{"defaults": {"executor_lost_seconds": 120}}'));
select tests.executor(tests.workspace_id()) as executor_id \gset
select tests.reset_role();

-- TEST: an executor seen recently is not lost
select public.sweep_alerts(now() + interval '1 minute', tests.workspace_id());
select is((select count(*)::integer from public.alert_signals where alert_signals.executor_id = :'executor_id'), 0,
    'an executor within its threshold raises nothing');

-- TEST: past the threshold without a heartbeat, executor_lost is raised and alerts
select public.sweep_alerts(now() + interval '3 minutes', tests.workspace_id());
select is(
    (select alert_signals.signal_type || ' ' || alert_signals.severity from public.alert_signals where alert_signals.executor_id = :'executor_id'),
    'executor_lost critical', 'the sweep raises executor_lost past defaults.executor_lost_seconds'
);
select is((tests.alert('executor_lost:executor:' || :'executor_id')).status, 'open', 'the lost executor has an open alert');

-- TEST: when it is seen again, executor_recovered resolves the alert
update public.executors set last_seen_at = now() + interval '4 minutes' where id = :'executor_id';
select public.sweep_alerts(now() + interval '4 minutes', tests.workspace_id());
select is((tests.alert('executor_lost:executor:' || :'executor_id')).status, 'resolved',
    'executor_recovered resolves the alert once the executor is seen again');

select * from finish();
rollback;
