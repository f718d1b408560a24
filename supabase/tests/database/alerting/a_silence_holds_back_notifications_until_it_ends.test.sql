begin;
select plan(6);

-- SETUP
select tests.seed();
select tests.publish_routes();
select tests.authenticate_as('admin');
select public.add_silence(tests.workspace_id(), '{"spec": "etl"}', '2026-01-01 01:00:00+00', 'maintenance',
    '2026-01-01 00:00:00+00') ->> 'silence_id' as silence_id \gset
select tests.reset_role();
select tests.raise_signal(raised_at => '2026-01-01 00:10:00+00');

-- TEST: a matching silence holds the notification back
select is((tests.alert()).status, 'open', 'the silenced alert is open');
select is((tests.alert()).suppressed_by, 'silence:' || :'silence_id', 'it names the silence');
select is((select count(*)::integer from public.alert_deliveries where alert_deliveries.alert_id = (tests.alert()).id), 0, 'nothing is delivered');

-- TEST: after the silence ends the alert is delivered
select public.sweep_alerts('2026-01-01 01:00:30+00', tests.workspace_id());
select is((tests.alert()).tier, 1, 'tier 1 is reached once the silence has ended');

-- TEST: silences need an admin and at least one matcher
select tests.authenticate_as('operator');
select throws_ok(
    format('select public.add_silence(%L, ''{"spec": "etl"}'', now() + interval ''1 hour'', ''x'')', tests.workspace_id()),
    '42501', null, 'operators cannot add silences'
);
select tests.authenticate_as('admin');
select throws_ok(
    format('select public.add_silence(%L, ''{}'', now() + interval ''1 hour'', ''x'')', tests.workspace_id()),
    '22023', null, 'a silence without matchers is refused'
);

select * from finish();
rollback;
