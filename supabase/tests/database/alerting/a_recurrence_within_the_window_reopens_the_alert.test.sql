begin;
select plan(5);

-- SETUP: reopen window 1 hour
select tests.seed();
select tests.publish_routes(tests.routes('[{"name": "all", "reopen_window_seconds": 3600, "escalation": [{"targets": ["oncall"]}]}]'));
select tests.raise_signal(raised_at => '2026-01-01 00:00:00+00');
select (tests.alert()).id as first_id \gset
select public.resolve_alert(:'first_id', 'fixed', '2026-01-01 00:10:00+00');

-- TEST: a recurrence within the window reopens the same alert, escalating from tier 0 again
select tests.raise_signal(raised_at => '2026-01-01 00:30:00+00');
select is((tests.alert()).id, :'first_id'::uuid, 'the recurrence reopens the same alert');
select is((tests.alert()).status, 'open', 'it is open again');
select is(
    (select array_agg(alert_changes.change order by alert_changes.id) from public.alert_changes where alert_changes.alert_id = :'first_id'),
    array['opened', 'escalated', 'resolved', 'reopened', 'escalated'], 'reopening is audited and escalation starts over'
);

-- TEST: after the window a recurrence opens a new alert
select public.resolve_alert(:'first_id', null, '2026-01-01 00:40:00+00');
select tests.raise_signal(raised_at => '2026-01-01 02:00:00+00');
select isnt((tests.alert()).id, :'first_id'::uuid, 'a recurrence after the window opens a new alert');
select is((select count(*)::integer from public.alerts where alerts.workspace_id = tests.workspace_id()), 2, 'two alerts in all');

select * from finish();
rollback;
