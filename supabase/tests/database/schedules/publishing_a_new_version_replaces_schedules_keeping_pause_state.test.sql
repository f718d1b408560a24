begin;
select plan(9);

-- SETUP: v1 declares a and b; an operator pauses a.
select tests.seed();
select tests.scheduled_spec(tests.workspace_id(), 'etl2', '[
    {"name": "a", "cron": "0 * * * *"},
    {"name": "b", "cron": "0 6 * * *", "timezone": "Europe/Berlin"}
]', '2026-06-01 12:00Z');
select s.id as a_id from public.schedules as s where s.workspace_id = tests.workspace_id() and s.name = 'a' \gset
select tests.authenticate_as('operator');
select public.pause_schedule(tests.workspace_id(), 'a', 'etl2');
select tests.reset_role();

-- TEST: v2 keeps a (same id, still paused), drops b, adds c
select tests.publish_spec(tests.workspace_id(), 'etl2', '2', '{"schedules": [
    {"name": "a", "cron": "30 * * * *"},
    {"name": "c", "cron": "0 0 * * *", "paused": true}
]}'::jsonb);
select is(
    (select pg_catalog.array_agg(s.name order by s.name) from public.schedules as s where s.workspace_id = tests.workspace_id()),
    array['a', 'c'], 'the schedules are those of v2'
);
select is(
    (select s.id from public.schedules as s where s.workspace_id = tests.workspace_id() and s.name = 'a'),
    :'a_id'::uuid, 'a kept its id'
);
select is(
    (select s.paused from public.schedules as s where s.workspace_id = tests.workspace_id() and s.name = 'a'),
    true, 'a kept the operator''s pause'
);
select is(
    (select s.next_fire_at from public.schedules as s where s.workspace_id = tests.workspace_id() and s.name = 'a'),
    '2026-06-01 12:30Z'::timestamptz, 'a''s next fire follows its new expression from where it had fired'
);
select is(
    (select s.paused from public.schedules as s where s.workspace_id = tests.workspace_id() and s.name = 'c'),
    true, 'c starts paused as declared'
);
select is(
    (select v.version from public.schedules as s inner join public.pipeline_specs as v on s.spec_id = v.id
     where s.workspace_id = tests.workspace_id() and s.name = 'a'),
    '2', 'the schedules belong to v2'
);

-- TEST: a change of paused in the spec wins over the operator's state
select tests.publish_spec(tests.workspace_id(), 'etl2', '3', '{"schedules": [
    {"name": "a", "cron": "30 * * * *"},
    {"name": "c", "cron": "0 0 * * *", "paused": false}
]}'::jsonb);
select is(
    (select pg_catalog.array_agg(s.paused order by s.name) from public.schedules as s where s.workspace_id = tests.workspace_id()),
    array[true, false], 'a stays paused by the operator; c follows the spec''s new paused: false'
);

-- TEST: publishing an older version number does not take the schedules over
select tests.publish_spec(tests.workspace_id(), 'etl2', '0', '{"schedules": []}'::jsonb);
select is(
    (select pg_catalog.count(*)::integer from public.schedules as s where s.workspace_id = tests.workspace_id()),
    2, 'v0 published after v3 leaves v3''s schedules'
);

-- TEST: a version without schedules removes them
select tests.publish_spec(tests.workspace_id(), 'etl2', '4', '{}'::jsonb);
select is(
    (select pg_catalog.count(*)::integer from public.schedules as s where s.workspace_id = tests.workspace_id()),
    0, 'v4 declares none'
);

select * from finish();
rollback;
