begin;
select plan(2);

-- SETUP: a 1000 s daily budget; a run has been running 900 s
select tests.seed();
select tests.reset_role();
insert into public.workspace_limits (workspace_id, daily_budget_seconds, budget_reservation_seconds, updated_by)
values (tests.workspace_id(), 1000, 1, 'service_role');
select * from tests.running_attempt(now() - interval '900 seconds') \gset
select tests.reset_role();
select public.sweep_alerts(now(), tests.workspace_id());

-- TEST: 90 % of the budget committed is past the default ratio 0.8
select is(
    (select alert_signals.signal_type || ' ' || alert_signals.severity || ' ' || alert_signals.fingerprint from public.alert_signals where alert_signals.signal_type = 'budget_burn'),
    'budget_burn warning budget_burn:workspace', 'the sweep raises budget_burn past 80 % of the daily budget'
);
select ok(
    (select (alert_signals.payload ->> 'ratio')::numeric between 0.85 and 0.95 from public.alert_signals where alert_signals.signal_type = 'budget_burn'),
    'the payload gives the ratio committed'
);

select * from finish();
rollback;
