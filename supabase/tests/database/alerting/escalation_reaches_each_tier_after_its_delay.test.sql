begin;
select plan(6);

-- SETUP: tier 1 oncall after group_wait 30 s, tier 2 lead 600 s later
select tests.seed();
select tests.publish_routes(tests.routes('[{"name": "all", "group_wait_seconds": 30,
    "escalation": [{"targets": ["oncall"], "after_seconds": 0}, {"targets": ["lead"], "after_seconds": 600}]}]'));
select tests.raise_signal(raised_at => '2026-01-01 00:00:00+00');

-- TEST: group_wait holds the first notification
select public.sweep_alerts('2026-01-01 00:00:29+00', tests.workspace_id());
select is((tests.alert()).tier, 0, 'before group_wait no tier is reached');

-- TEST: tier 1 after group_wait, with a delivery to its target
select public.sweep_alerts('2026-01-01 00:00:30+00', tests.workspace_id());
select is((tests.alert()).tier, 1, 'tier 1 is reached after group_wait');
select is(
    (select array_agg(alert_deliveries.target_name || ' ' || alert_deliveries.tier) from public.alert_deliveries where alert_deliveries.alert_id = (tests.alert()).id),
    array['oncall 1'], 'tier 1 puts a delivery for its target in the outbox'
);

-- TEST: tier 2 only after its delay
select public.sweep_alerts('2026-01-01 00:10:29+00', tests.workspace_id());
select is((tests.alert()).tier, 1, 'tier 2 is not reached before its delay');
select public.sweep_alerts('2026-01-01 00:10:30+00', tests.workspace_id());
select is((tests.alert()).tier, 2, 'tier 2 is reached after its delay');

-- TEST: the last tier does not repeat without repeat_interval_seconds
select public.sweep_alerts('2026-01-02 00:00:00+00', tests.workspace_id());
select is((select count(*)::integer from public.alert_deliveries where alert_deliveries.alert_id = (tests.alert()).id), 2,
    'nothing more is sent after the last tier without a repeat interval');

select * from finish();
rollback;
