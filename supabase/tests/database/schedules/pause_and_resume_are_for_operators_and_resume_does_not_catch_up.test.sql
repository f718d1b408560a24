begin;
select plan(10);

-- SETUP
select tests.seed();
select tests.scheduled_spec(tests.workspace_id(), 'minutely', '[{"name": "tick", "cron": "* * * * *"}]', '2026-06-01 12:00Z');

-- TEST: who may pause
select tests.authenticate_as('viewer');
select throws_ok(
    $$ select public.pause_schedule(tests.workspace_id(), 'tick') $$, '42501', null, 'a viewer cannot pause'
);
select tests.authenticate_as('outsider');
select throws_ok(
    $$ select public.pause_schedule(tests.workspace_id(), 'tick') $$, '42501', null, 'an outsider cannot pause'
);
select tests.clear_authentication();
select throws_ok(
    $$ select public.pause_schedule(tests.workspace_id(), 'tick') $$, '42501', null, 'anon cannot pause'
);
select tests.authenticate_as('operator');
select throws_ok(
    $$ select public.pause_schedule(tests.workspace_id(), 'nope') $$, 'PT404', null, 'an unknown schedule is 404'
);
select is(
    (select s.paused from public.pause_schedule(tests.workspace_id(), 'tick', as_of => '2026-06-01 12:00:30Z') as s),
    true, 'an operator pauses'
);
select tests.reset_role();

-- TEST: a paused schedule does not fire
select is(private.fire_due_schedules('2026-06-01 12:05Z', 100, tests.workspace_id()) ->> 'schedules', '0', 'ticks skip it');

-- TEST: resume moves on from now without catching up the pause
select tests.authenticate_as_service_role();
select is(
    (select s.next_fire_at from public.resume_schedule(tests.workspace_id(), 'tick', 'minutely', '2026-06-01 12:10:30Z') as s),
    '2026-06-01 12:11Z'::timestamptz, 'the service role resumes; next fire is the next minute'
);
select tests.reset_role();
select is(
    private.fire_due_schedules('2026-06-01 12:11:05Z', 100, tests.workspace_id()) ->> 'submitted', '1', 'one run, for 12:11'
);
select is(
    (select pg_catalog.count(*)::integer from public.schedule_ticks as t where t.workspace_id = tests.workspace_id()),
    1, 'nothing was submitted for the paused minutes'
);
select is(
    (select s.paused_by from public.schedules as s where s.workspace_id = tests.workspace_id()),
    'service_role', 'the last change of the pause state is attributed'
);

select * from finish();
rollback;
