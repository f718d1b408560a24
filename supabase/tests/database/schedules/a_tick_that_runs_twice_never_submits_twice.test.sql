begin;
select plan(7);

-- SETUP
select tests.seed();
select tests.scheduled_spec(tests.workspace_id(), 'minutely', '[{"name": "tick", "cron": "* * * * *"}]', '2026-06-01 12:00Z');
select s.id as schedule_id from public.schedules as s where s.workspace_id = tests.workspace_id() \gset

-- TEST: the same tick twice submits once
select is(private.fire_due_schedules('2026-06-01 12:01:00Z', 100, tests.workspace_id()) ->> 'submitted', '1', 'the first tick submits the 12:01 run');
select is(private.fire_due_schedules('2026-06-01 12:01:00Z', 100, tests.workspace_id()) ->> 'schedules', '0', 'the same tick again finds nothing due');
select is(private.fire_due_schedules('2026-06-01 12:01:40Z', 100, tests.workspace_id()) ->> 'schedules', '0', 'a later tick in the same minute finds nothing due');

-- TEST: a replay from before a restart (fired_through lost) answers with the run already submitted
update public.schedules set fired_through = '2026-06-01 12:00Z', next_fire_at = '2026-06-01 12:01Z'
where id = :'schedule_id';
select is(
    private.fire_due_schedules('2026-06-01 12:01:00Z', 100, tests.workspace_id()),
    '{"schedules": 1, "submitted": 0, "duplicates": 0, "rejected": 0, "skipped": 0, "more": false}'::jsonb,
    'a replayed fire time keeps its first tick and submits nothing'
);
delete from public.schedule_ticks where schedule_id = :'schedule_id';
update public.schedules set fired_through = '2026-06-01 12:00Z', next_fire_at = '2026-06-01 12:01Z'
where id = :'schedule_id';
select is(
    private.fire_due_schedules('2026-06-01 12:01:00Z', 100, tests.workspace_id()) ->> 'duplicates', '1',
    'even without its tick row the run''s idempotency key finds the run'
);
select is(
    (select pg_catalog.count(*)::integer from public.runs as r where r.workspace_id = tests.workspace_id()
     and r.idempotency_key = private.schedule_idempotency_key(:'schedule_id', '2026-06-01 12:01Z')),
    1, 'one run for the fire time'
);
select is(
    (select r.status_changed_by from public.runs as r where r.workspace_id = tests.workspace_id()
     and r.idempotency_key = private.schedule_idempotency_key(:'schedule_id', '2026-06-01 12:01Z')),
    'system:schedules', 'the audit names the scheduler'
);

select * from finish();
rollback;
