begin;
select plan(4);

-- SETUP
select tests.seed();
select tests.publish_routes(tests.routes('[{"name": "all", "group_by": ["spec", "team"], "group_wait_seconds": 30,
    "escalation": [{"targets": ["oncall"]}]}]'));
select tests.raise_signal('run_failed', labels => '{"team": "data"}', raised_at => now());
select tests.raise_signal('run_failed', labels => '{"team": "data"}', raised_at => now() + interval '5 seconds', severity => 'warning');

-- TEST: signals with one fingerprint are one alert, counted
select is((select count(*)::integer from public.alerts where alerts.workspace_id = tests.workspace_id()), 1,
    'two signals with one fingerprint make one alert');
select is((tests.alert()).signal_count, 2, 'the alert counts its signals');
select is((tests.alert()).severity, 'critical', 'the alert keeps the highest severity');

-- TEST: the group key is the route and its group_by labels
select is((tests.alert()).group_key, 'all:{spec="etl",team="data"}', 'group_by labels make the group key');

select * from finish();
rollback;
