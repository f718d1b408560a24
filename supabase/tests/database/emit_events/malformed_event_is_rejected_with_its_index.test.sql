begin;
select plan(4);

-- SETUP
select tests.seed();
select * from tests.claimed_attempt() \gset

-- TEST: a malformed event is named by its index
select throws_ok(
    format($$ select public.emit_events(%L, '[{"type": "log"}, {"type": "Bad Type"}]') $$, :'lease'),
    '22023', 'events[1] type must be a lower-case dotted name of at most 100 characters', 'a bad type is named by index'
);
select throws_ok(
    format($$ select public.emit_events(%L, '[{"type": "log", "level": "loud"}]') $$, :'lease'),
    '22023', 'events[0] level must be debug, info, warning, error or critical', 'levels are fixed'
);
select throws_ok(
    format($$ select public.emit_events(%L, '[{"type": "log", "ts": "2026-13-45T00:00"}]') $$, :'lease'),
    '22023', 'an event has an invalid ts', 'an impossible timestamp is invalid input'
);

-- TEST: events come as an array
select throws_ok(
    format($$ select public.emit_events(%L, '{"type": "log"}') $$, :'lease'),
    '22023', 'events must be a JSON array', 'events come as an array'
);

select * from finish();
rollback;
