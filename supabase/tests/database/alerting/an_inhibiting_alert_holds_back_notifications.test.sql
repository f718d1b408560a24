begin;
select plan(4);

-- SETUP: an executor lost in the pool inhibits warnings about the same pool
select tests.seed();
select tests.publish_routes(tests.routes(null, '{"inhibit_rules": [{"source_match": {"signal_type": "executor_lost"},
    "target_match": {"severity": "warning"}, "equal": ["pool"]}]}'));
select tests.raise_signal('executor_lost', 'executor_lost:executor:1', raised_at => '2026-01-01 00:00:00+00');
select tests.raise_signal('lease_rejected', 'lease_rejected:run:x', severity => 'warning',
    raised_at => '2026-01-01 00:00:10+00');

-- TEST: the inhibited alert is open but not delivered, and the hold is audited once
select is((tests.alert('lease_rejected:run:x')).tier, 0, 'the inhibited alert reaches no tier');
select is((tests.alert('lease_rejected:run:x')).suppressed_by, 'inhibited:' || (tests.alert('executor_lost:executor:1')).id,
    'the alert names the alert that inhibits it');
select public.sweep_alerts('2026-01-01 00:05:00+00', tests.workspace_id());
select is(
    (select count(*)::integer from public.alert_changes where alert_changes.alert_id = (tests.alert('lease_rejected:run:x')).id and alert_changes.change = 'suppressed'),
    1, 'holding it back again is not audited again'
);

-- TEST: once the source resolves, the held alert is delivered
select public.resolve_alert((tests.alert('executor_lost:executor:1')).id, null, '2026-01-01 00:06:00+00');
select public.sweep_alerts('2026-01-01 00:07:00+00', tests.workspace_id());
select is((tests.alert('lease_rejected:run:x')).tier, 1, 'the alert is delivered once nothing inhibits it');

select * from finish();
rollback;
