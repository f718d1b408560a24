begin;
select plan(4);

-- SETUP: one tier, repeat every hour
select tests.seed();
select tests.publish_routes(tests.routes('[{"name": "all", "repeat_interval_seconds": 3600,
    "escalation": [{"targets": ["oncall"]}]}]'));
select tests.raise_signal(raised_at => '2026-01-01 00:00:00+00');

-- TEST: the unchanged group is sent again after repeat_interval, not before
select public.sweep_alerts('2026-01-01 00:59:59+00', tests.workspace_id());
select is(
    (select count(*)::integer from public.alert_deliveries where alert_deliveries.workspace_id = tests.workspace_id()),
    1, 'no repeat before repeat_interval'
);
select public.sweep_alerts('2026-01-01 01:00:00+00', tests.workspace_id());
select is(
    (select array_agg(alert_deliveries.change order by alert_deliveries.created_at) from public.alert_deliveries
        where alert_deliveries.workspace_id = tests.workspace_id()),
    array['escalated', 'repeated'], 'repeated after repeat_interval'
);
select public.sweep_alerts('2026-01-01 02:00:00+00', tests.workspace_id());
select is(
    (select count(*)::integer from public.alert_deliveries where alert_deliveries.workspace_id = tests.workspace_id()),
    3, 'and every repeat_interval after that'
);

-- TEST: acknowledging the group's only alert stops the repeats
select tests.authenticate_as('operator');
select public.acknowledge_alert((tests.alert()).id, null, '2026-01-01 02:10:00+00');
select tests.reset_role();
select public.sweep_alerts('2026-01-01 05:00:00+00', tests.workspace_id());
select is(
    (select count(*)::integer from public.alert_deliveries where alert_deliveries.workspace_id = tests.workspace_id()),
    3, 'no repeat once nothing in the group is unacknowledged'
);

select * from finish();
rollback;
