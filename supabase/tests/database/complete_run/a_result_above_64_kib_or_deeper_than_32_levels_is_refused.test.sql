begin;
select plan(4);

-- SETUP
select tests.seed();
select * from tests.running_attempt() \gset

-- TEST: a result too large or too deep is refused, and the attempt stays running
select throws_ok(
    format(
        $$ select public.complete_run(%L, jsonb_build_object('blob', repeat('x', 65536))) $$, :'lease'
    ),
    'PT413', null, 'a result above 64 KiB is refused with 413'
);
select throws_ok(
    format(
        $$ select public.complete_run(%L, (repeat('{"a": ', 33) || '1' || repeat('}', 33))::jsonb) $$, :'lease'
    ),
    '22023', 'result is nested too deeply: more than 32 levels, the limit is 32 levels',
    'a result nested 33 levels deep is refused'
);

-- TEST: exactly 32 levels is accepted
select is(
    public.complete_run(:'lease', (repeat('{"a": ', 32) || '1' || repeat('}', 32))::jsonb) ->> 'outcome',
    'accepted', 'a result nested 32 levels deep is accepted'
);
select tests.reset_role();
select is((tests.attempt(:'lease')).status, 'succeeded', 'and the attempt succeeded');

select * from finish();
rollback;
