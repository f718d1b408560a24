begin;
select plan(6);

-- SETUP
select tests.seed();
select tests.publish_routes();
select tests.raise_signal(raised_at => '2026-01-01 00:00:00+00');
select tests.authenticate_as('operator');
select public.acknowledge_alert((tests.alert()).id, 'looking', '2026-01-01 00:01:00+00') ->> 'outcome' as outcome \gset
select tests.reset_role();

-- TEST: the acknowledgement is recorded with its actor
select is(:'outcome'::text, 'acknowledged', 'an operator acknowledges an open alert');
select is((tests.alert()).acknowledged_by, 'user:' || tests.get_user_id('operator'), 'the alert names who acknowledged it');
select is(
    (select alert_changes.actor || ' ' || alert_changes.note from public.alert_changes where alert_changes.alert_id = (tests.alert()).id and alert_changes.change = 'acknowledged'),
    'user:' || tests.get_user_id('operator') || ' looking', 'the change is audited with its actor and note'
);

-- TEST: no further tier after acknowledgement
select public.sweep_alerts('2026-01-01 01:00:00+00', tests.workspace_id());
select is((tests.alert()).tier, 1, 'an acknowledged alert does not escalate');
select is((select count(*)::integer from public.alert_deliveries where alert_deliveries.alert_id = (tests.alert()).id), 1,
    'no delivery after the acknowledgement');

-- TEST: a second acknowledgement changes nothing
select is(public.acknowledge_alert((tests.alert()).id) ->> 'outcome', 'duplicate', 'acknowledging again is a duplicate');

select * from finish();
rollback;
