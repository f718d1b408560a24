begin;
select plan(4);

-- SETUP: etl failures go to route etl (and continue to all); everything else stops at its first match
select tests.seed();
select tests.publish_routes(tests.routes('[
    {"name": "etl", "match": {"spec": "et*", "signal_type": ["run_failed", "run_timed_out"]}, "continue": true,
     "escalation": [{"targets": ["oncall"]}]},
    {"name": "warnings", "match": {"severity": "warning"}, "escalation": [{"targets": ["lead"]}]},
    {"name": "all", "escalation": [{"targets": ["lead"]}]}
]'));
select tests.raise_signal('run_failed', 'run_failed:spec:etl');
select tests.raise_signal('run_failed', 'run_failed:spec:billing', spec_name => 'billing');
select tests.raise_signal('lease_rejected', 'lease_rejected:run:x', severity => 'warning');

-- TEST: first match, continue, globs and lists
select is(
    (select array_agg(alerts.route_name order by alerts.route_name) from public.alerts where alerts.fingerprint = 'run_failed:spec:etl'),
    array['all', 'etl'], 'a matching route with continue lets the next matching route take the signal too'
);
select is(
    (select array_agg(alerts.route_name) from public.alerts where alerts.fingerprint = 'run_failed:spec:billing'),
    array['all'], 'a spec outside the glob falls through to the next route'
);
select is(
    (select array_agg(alerts.route_name) from public.alerts where alerts.fingerprint = 'lease_rejected:run:x'),
    array['warnings'], 'the first match without continue stops the routing'
);

-- TEST: test_routes says the same without changing anything
select is(
    (select jsonb_path_query_array(public.test_routes(tests.workspace_id(),
        '{"signal_type": "run_failed", "severity": "critical", "spec": "etl"}'), '$.routes[*].name')),
    '["etl", "all"]'::jsonb, 'test_routes shows the routes in order'
);

select * from finish();
rollback;
