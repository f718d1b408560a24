begin;
select plan(4);

select tests.seed();
select set_config('t.run', tests.submit_run(tests.workspace_id(), 'etl')::text, true);
select set_config('t.lease', tests.claim(tests.executor(tests.workspace_id()))::text, true);

select throws_ok(
    $$ select public.emit_events(current_setting('t.lease')::uuid, '[{"type": "log"}, {"type": "Bad Type"}]') $$,
    '22023', 'events[1] type must be a lower-case dotted name of at most 100 characters', 'a bad type is named by index'
);
select throws_ok(
    $$ select public.emit_events(current_setting('t.lease')::uuid, '[{"type": "log", "level": "loud"}]') $$,
    '22023', 'events[0] level must be debug, info, warning, error or critical', 'levels are fixed'
);
select throws_ok(
    $$ select public.emit_events(current_setting('t.lease')::uuid, '[{"type": "log", "ts": "2026-13-45T00:00"}]') $$,
    '22023', 'an event has an invalid ts', 'an impossible timestamp is invalid input'
);
select throws_ok(
    $$ select public.emit_events(current_setting('t.lease')::uuid, '{"type": "log"}') $$,
    '22023', 'events must be a JSON array', 'events come as an array'
);

select * from finish();
rollback;
