begin;
select plan(6);

-- SETUP: default tiers (oncall at once, lead 600 s later), group_wait 30 s collects two alerts
select tests.seed();
select tests.publish_routes(tests.routes('[{"name": "all", "group_wait_seconds": 30,
    "escalation": [{"targets": ["oncall"], "after_seconds": 0}, {"targets": ["lead"], "after_seconds": 600}]}]'));
select tests.raise_signal(spec_name => 'a', raised_at => '2026-01-01 00:00:00+00');
select tests.raise_signal(spec_name => 'b', raised_at => '2026-01-01 00:00:10+00');
select public.sweep_alerts('2026-01-01 00:00:30+00', tests.workspace_id());
select tests.authenticate_as('operator');
select public.acknowledge_alert((tests.alert('run_failed:spec:a')).id, null, '2026-01-01 00:01:00+00');
select tests.reset_role();

-- TEST: acknowledgement is per alert: the group still escalates for the unacknowledged one
select public.sweep_alerts('2026-01-01 00:10:30+00', tests.workspace_id());
select is(
    (select array_agg(alert_deliveries.target_name || ' ' || alert_deliveries.tier order by alert_deliveries.tier)
        from public.alert_deliveries where alert_deliveries.workspace_id = tests.workspace_id()),
    array['oncall 1', 'lead 2'], 'tier 2 is reached while an alert of the group is unacknowledged'
);
select is(
    (select array_agg((a.value ->> 'fingerprint') || ' ' || (a.value ->> 'status') order by a.value ->> 'fingerprint')
        from public.alert_deliveries
        cross join jsonb_array_elements(alert_deliveries.payload -> 'alerts') as a (value)
        where alert_deliveries.workspace_id = tests.workspace_id() and alert_deliveries.tier = 2),
    array['run_failed:spec:a acknowledged', 'run_failed:spec:b open'], 'tier 2 sees the whole group with each state'
);
select is((tests.alert('run_failed:spec:b')).tier, 2, 'the unacknowledged alert reached tier 2');
select is((tests.alert('run_failed:spec:a')).tier, 1, 'the acknowledged alert did not escalate');

-- TEST: once every alert is acknowledged the group stops
select tests.authenticate_as('operator');
select public.acknowledge_alert((tests.alert('run_failed:spec:b')).id, null, '2026-01-01 00:11:00+00');
select tests.reset_role();
select is(
    (select alert_groups.due_at from public.alert_groups where alert_groups.workspace_id = tests.workspace_id()),
    null, 'nothing is due for a group whose alerts are all acknowledged'
);

-- TEST: a new alert joining the acknowledged group pages again (group_interval unset: at once)
select tests.raise_signal(spec_name => 'c', raised_at => '2026-01-01 00:12:00+00');
select is(
    (select array_agg(alert_deliveries.change || ' ' || alert_deliveries.tier order by alert_deliveries.created_at, alert_deliveries.target_name)
        from public.alert_deliveries where alert_deliveries.workspace_id = tests.workspace_id()),
    array['escalated 1', 'escalated 2', 'updated 2', 'updated 2'], 'the new alert reaches everyone paged for the group'
);

select * from finish();
rollback;
