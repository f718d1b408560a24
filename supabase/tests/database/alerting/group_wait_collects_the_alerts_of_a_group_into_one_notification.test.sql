begin;
select plan(7);

-- SETUP: group by signal type, group_wait 30 s; three failures of three specs within it, and a
-- time-out (another group) 20 s in
select tests.seed();
select tests.publish_routes(tests.routes('[{"name": "all", "group_by": ["signal_type"], "group_wait_seconds": 30,
    "group_interval_seconds": 300, "escalation": [{"targets": ["oncall"]}]}]'));
select tests.raise_signal(spec_name => 'a', raised_at => '2026-01-01 00:00:00+00');
select tests.raise_signal(spec_name => 'b', raised_at => '2026-01-01 00:00:10+00');
select tests.raise_signal(spec_name => 'c', raised_at => '2026-01-01 00:00:20+00');
select tests.raise_signal('run_timed_out', spec_name => 'a', raised_at => '2026-01-01 00:00:20+00');

-- TEST: nothing is sent before group_wait
select public.sweep_alerts('2026-01-01 00:00:29+00', tests.workspace_id());
select is(
    (select count(*)::integer from public.alert_deliveries where alert_deliveries.workspace_id = tests.workspace_id()), 0,
    'group_wait holds the first notification'
);

-- TEST: after group_wait one notification carries every alert that arrived meanwhile
select public.sweep_alerts('2026-01-01 00:00:30+00', tests.workspace_id());
select is(
    (select count(*)::integer from public.alert_deliveries
        inner join public.alert_groups on alert_deliveries.group_id = alert_groups.id
        where alert_groups.group_key = 'all:{signal_type="run_failed"}'),
    1, 'one delivery for the group'
);
select is(
    (select array_agg(a.value ->> 'fingerprint' order by a.value ->> 'fingerprint')
        from public.alert_deliveries
        inner join public.alert_groups on alert_deliveries.group_id = alert_groups.id
        cross join jsonb_array_elements(alert_deliveries.payload -> 'alerts') as a (value)
        where alert_groups.group_key = 'all:{signal_type="run_failed"}'),
    array['run_failed:spec:a', 'run_failed:spec:b', 'run_failed:spec:c'], 'it lists the three alerts'
);
select is(
    (select alert_deliveries.payload - 'alerts' - 'sent_for' - 'group_id' - 'workspace_id' - 'alert_id' - 'subject'
        from public.alert_deliveries
        inner join public.alert_groups on alert_deliveries.group_id = alert_groups.id
        where alert_groups.group_key = 'all:{signal_type="run_failed"}'),
    '{"change": "escalated", "tier": 1, "route": "all", "status": "firing", "severity": "critical",
      "group_key": "all:{signal_type=\"run_failed\"}", "group_labels": {"signal_type": "run_failed"},
      "alerts_firing": 3, "alerts_resolved": 0, "alerts_omitted": 0, "signal_type": "run_failed",
      "fingerprint": "run_failed:spec:a", "signal_count": 1, "runs_affected": 0,
      "summary": "[CRITICAL] 3 firing: run failed of a and 2 more (all:{signal_type=\"run_failed\"})"}'::jsonb,
    'the payload names the group, its labels and state'
);
select is(
    (select array_agg(alerts.tier order by alerts.fingerprint) from public.alerts
        where alerts.workspace_id = tests.workspace_id() and alerts.signal_type = 'run_failed'),
    array[1, 1, 1], 'every alert of the group reached tier 1'
);

-- TEST: the other group keeps its own group_wait (from its first alert, 00:00:20)
select is(
    (select count(*)::integer from public.alert_deliveries
        inner join public.alert_groups on alert_deliveries.group_id = alert_groups.id
        where alert_groups.group_key = 'all:{signal_type="run_timed_out"}'),
    0, 'a group of other labels is not sent with it'
);
select public.sweep_alerts('2026-01-01 00:00:50+00', tests.workspace_id());
select is(
    (select count(*)::integer from public.alert_deliveries
        inner join public.alert_groups on alert_deliveries.group_id = alert_groups.id
        where alert_groups.group_key = 'all:{signal_type="run_timed_out"}'),
    1, 'it is sent group_wait after its own first alert'
);

select * from finish();
rollback;
