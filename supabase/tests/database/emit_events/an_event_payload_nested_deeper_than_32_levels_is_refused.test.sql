begin;
select plan(2);

-- SETUP
select tests.seed();
select * from tests.running_attempt() \gset

-- TEST: a payload nested 33 levels deep is refused with its index; 32 levels are stored
select throws_ok(
    format(
        $$ select public.emit_events(%L, jsonb_build_array(
            jsonb_build_object('type', 'log'),
            jsonb_build_object('type', 'log', 'payload', (repeat('{"a": ', 33) || '1' || repeat('}', 33))::jsonb))) $$,
        :'lease'
    ),
    '22023', 'events[1] payload is nested deeper than 32 levels', 'a payload nested 33 levels deep is refused'
);
select is(
    (public.emit_events(
        :'lease',
        jsonb_build_array(jsonb_build_object('type', 'log', 'payload', (repeat('{"a": ', 32) || '1' || repeat('}', 32))::jsonb))
    ) ->> 'accepted')::integer,
    1, 'a payload nested 32 levels deep is stored'
);

select * from finish();
rollback;
