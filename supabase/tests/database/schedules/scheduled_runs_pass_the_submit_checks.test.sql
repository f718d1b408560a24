begin;
select plan(5);

-- SETUP: a schedule with params (the spec's defaults fill the rest) in a workspace whose queue holds
-- one run.
select tests.seed();
select tests.scheduled_spec(tests.workspace_id(), 'report', '[{"name": "hourly", "cron": "0 * * * *", "params": {"region": "eu"}}]',
    '2026-06-01 00:00Z', '1', '{"params": {"type": "object", "properties": {"region": {"type": "string"}, "rows": {"type": "integer", "default": 10}}, "additionalProperties": false}}');
insert into public.workspace_limits (workspace_id, max_queued_runs, updated_by) values (tests.workspace_id(), 1, 'service_role');

-- TEST: the run carries the schedule's params with the spec's defaults
select is(private.fire_due_schedules('2026-06-01 01:00:10Z', 100, tests.workspace_id()) ->> 'submitted', '1', 'the 01:00 run is submitted');
select is(
    (select r.params from public.runs as r inner join public.schedule_ticks as t on r.id = t.run_id
     where t.workspace_id = tests.workspace_id()),
    '{"region": "eu", "rows": 10}'::jsonb, 'params with defaults filled in, as submit_run stores them'
);

-- TEST: admission applies: the full queue refuses the next fire time, recorded on its tick
select is(private.fire_due_schedules('2026-06-01 02:00:10Z', 100, tests.workspace_id()) ->> 'rejected', '1', 'the 02:00 run is refused');
select is(
    (select t.code || ' ' || t.message from public.schedule_ticks as t
     where t.workspace_id = tests.workspace_id() and t.fire_at = '2026-06-01 02:00Z'),
    pg_catalog.format('PT429 workspace %s has 1 queued runs, its limit', tests.workspace_id()),
    'the tick records the refusal'
);
select is(
    (select s.next_fire_at from public.schedules as s where s.workspace_id = tests.workspace_id()),
    '2026-06-01 03:00Z'::timestamptz, 'a refused fire time is not retried: the schedule moves on'
);

select * from finish();
rollback;
