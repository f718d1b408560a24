begin;
select plan(6);

-- SETUP: one group (no group_by), first notification at once, changes at most every 300 s
select tests.seed();
select tests.publish_routes(tests.routes('[{"name": "all", "group_interval_seconds": 300,
    "escalation": [{"targets": ["oncall"]}]}]'));
select tests.raise_signal(spec_name => 'a', raised_at => '2026-01-01 00:00:00+00');
select tests.raise_signal(spec_name => 'b', raised_at => '2026-01-01 00:01:00+00');

-- TEST: a new alert in a notified group waits for group_interval
select public.sweep_alerts('2026-01-01 00:04:59+00', tests.workspace_id());
select is(
    (select array_agg(alert_deliveries.change order by alert_deliveries.created_at) from public.alert_deliveries
        where alert_deliveries.workspace_id = tests.workspace_id()),
    array['escalated'], 'only the first notification before group_interval'
);
select public.sweep_alerts('2026-01-01 00:05:00+00', tests.workspace_id());
select is(
    (select array_agg(alert_deliveries.change order by alert_deliveries.created_at) from public.alert_deliveries
        where alert_deliveries.workspace_id = tests.workspace_id()),
    array['escalated', 'updated'], 'the change is sent once group_interval has passed'
);
select is(
    (select jsonb_array_length(alert_deliveries.payload -> 'alerts') from public.alert_deliveries
        where alert_deliveries.workspace_id = tests.workspace_id() and alert_deliveries.change = 'updated'),
    2, 'the update carries the whole group'
);

-- TEST: a new alert and a resolution within the next interval go out together, once
select tests.raise_signal(spec_name => 'c', raised_at => '2026-01-01 00:06:00+00');
select public.resolve_alert((tests.alert('run_failed:spec:a')).id, null, '2026-01-01 00:07:00+00');
select public.sweep_alerts('2026-01-01 00:09:59+00', tests.workspace_id());
select is(
    (select count(*)::integer from public.alert_deliveries where alert_deliveries.workspace_id = tests.workspace_id()),
    2, 'nothing more within group_interval of the last notification'
);
select public.sweep_alerts('2026-01-01 00:10:00+00', tests.workspace_id());
select is(
    (select array_agg((a.value ->> 'fingerprint') || ' ' || (a.value ->> 'status') order by a.value ->> 'fingerprint')
        from public.alert_deliveries
        cross join jsonb_array_elements(alert_deliveries.payload -> 'alerts') as a (value)
        where alert_deliveries.workspace_id = tests.workspace_id() and alert_deliveries.created_at = '2026-01-01 00:10:00+00'),
    array['run_failed:spec:a resolved', 'run_failed:spec:b open', 'run_failed:spec:c open'],
    'one notification carries the new alert and the resolved one'
);
select public.sweep_alerts('2026-01-01 00:20:00+00', tests.workspace_id());
select is(
    (select count(*)::integer from public.alert_deliveries where alert_deliveries.workspace_id = tests.workspace_id()),
    3, 'an unchanged group sends nothing more without repeat_interval'
);

select * from finish();
rollback;
