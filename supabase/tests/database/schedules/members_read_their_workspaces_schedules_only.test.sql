begin;
select plan(12);

-- SETUP: a schedule that has fired once in each workspace.
select tests.seed();
select tests.scheduled_spec(tests.workspace_id(), 'm', '[{"name": "tick", "cron": "* * * * *"}]', '2026-06-01 12:00Z');
select tests.scheduled_spec(tests.other_workspace_id(), 'm', '[{"name": "tick", "cron": "* * * * *"}]', '2026-06-01 12:00Z');
select private.fire_due_schedules('2026-06-01 12:01Z', 100, tests.workspace_id());

-- TEST: anon and executors read nothing
select tests.clear_authentication();
select throws_ok($$ select count(*) from public.schedules $$, '42501', null, 'anon cannot read schedules');
select throws_ok($$ select count(*) from public.schedule_ticks $$, '42501', null, 'anon cannot read ticks');
select tests.authenticate_as_executor(tests.pool(), tests.workspace_id());
select throws_ok($$ select count(*) from public.schedules $$, '42501', null, 'an executor cannot read schedules');

-- TEST: members see their workspaces' rows only, in the tables and the board
select tests.authenticate_as('viewer');
select is((select count(*)::integer from public.schedules), 1, 'a viewer sees the workspace''s schedule only');
select is((select count(*)::integer from public.schedule_ticks), 1, 'and its tick only');
select is(
    (select b.last_run_status from public.schedule_board as b where b.workspace_id = tests.workspace_id()),
    'queued', 'the board shows the last run''s status'
);
select is((select count(*)::integer from public.schedule_board), 1, 'the board shows that one schedule only');
select tests.authenticate_as('outsider');
select is(
    (select count(*)::integer from public.schedules as s where s.workspace_id = tests.workspace_id()), 0,
    'an outsider sees none of the workspace''s schedules'
);
select is(
    (select count(*)::integer from public.schedule_board as b where b.workspace_id = tests.workspace_id()), 0,
    'nor its board rows'
);

-- TEST: nobody writes the tables directly
select tests.authenticate_as('owner');
select throws_ok(
    $$ update public.schedules set paused = true $$, '42501', null, 'an owner cannot update schedules directly'
);
select throws_ok(
    $$ delete from public.schedule_ticks $$, '42501', null, 'an owner cannot delete ticks'
);
select tests.authenticate_as_service_role();
select is(
    (select count(*)::integer from public.schedules as s where s.workspace_id in (tests.workspace_id(), tests.other_workspace_id())),
    2, 'the service role reads the schedules of every workspace'
);

select * from finish();
rollback;
