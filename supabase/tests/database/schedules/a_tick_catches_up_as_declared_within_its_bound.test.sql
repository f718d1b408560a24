begin;
select plan(9);

-- SETUP: three hourly schedules that last fired at 00:00 and a tick at 05:00:30 after a downtime
-- (fire times 01:00 .. 05:00 are due), plus a daily one.
select tests.seed();
select tests.scheduled_spec(tests.workspace_id(), 'hourly', '[
    {"name": "none", "cron": "0 * * * *", "catchup": "none"},
    {"name": "latest", "cron": "0 * * * *", "catchup": "latest"},
    {"name": "all", "cron": "0 * * * *", "catchup": "all", "max_catchup": 3}
]', '2026-06-01 00:00Z');

-- TEST: the tick submits what each catchup declares
select is(
    private.fire_due_schedules('2026-06-01 05:00:30Z', 100, tests.workspace_id()),
    '{"schedules": 3, "submitted": 5, "duplicates": 0, "rejected": 0, "skipped": 0, "more": false}'::jsonb,
    'one tick handles the three schedules: 1 + 1 + 3 runs'
);
select is(
    (select pg_catalog.array_agg(pg_catalog.to_char(t.fire_at at time zone 'UTC', 'HH24:MI') order by t.fire_at)
     from public.schedule_ticks as t inner join public.schedules as s on t.schedule_id = s.id where s.name = 'none'),
    array['05:00'], 'none: only the fire time of this minute'
);
select is(
    (select pg_catalog.array_agg(pg_catalog.to_char(t.fire_at at time zone 'UTC', 'HH24:MI') order by t.fire_at)
     from public.schedule_ticks as t inner join public.schedules as s on t.schedule_id = s.id where s.name = 'latest'),
    array['05:00'], 'latest: one run, for the newest fire time'
);
select is(
    (select pg_catalog.array_agg(pg_catalog.to_char(t.fire_at at time zone 'UTC', 'HH24:MI') order by t.fire_at)
     from public.schedule_ticks as t inner join public.schedules as s on t.schedule_id = s.id where s.name = 'all'),
    array['03:00', '04:00', '05:00'], 'all: the newest max_catchup fire times, oldest first; 01:00 and 02:00 are skipped'
);
select is(
    (select pg_catalog.count(distinct s.next_fire_at)::integer from public.schedules as s where s.workspace_id = tests.workspace_id()),
    1, 'every schedule moved on to the same next fire time'
);
select is(
    (select s.next_fire_at from public.schedules as s where s.name = 'all' and s.workspace_id = tests.workspace_id()),
    '2026-06-01 06:00Z'::timestamptz, 'which is 06:00'
);

-- TEST: a late tick under none runs nothing, under latest the fire time it missed
select is(
    private.fire_due_schedules('2026-06-01 06:03Z', 100, tests.workspace_id()),
    '{"schedules": 3, "submitted": 2, "duplicates": 0, "rejected": 0, "skipped": 1, "more": false}'::jsonb,
    'three minutes late: none skips 06:00, latest and all run it'
);
select is(
    (select s.fired_through from public.schedules as s where s.name = 'none' and s.workspace_id = tests.workspace_id()),
    '2026-06-01 06:03Z'::timestamptz, 'the skipped fire time is handled for good'
);

-- TEST: a tick handles at most max_schedules and says there is more
select is(
    private.fire_due_schedules('2026-06-01 07:00Z', 2, tests.workspace_id()) ->> 'more', 'true', 'a full batch says more'
);

select * from finish();
rollback;
