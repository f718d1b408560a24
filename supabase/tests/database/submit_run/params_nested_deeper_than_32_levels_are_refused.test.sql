begin;
select plan(5);

select tests.seed();
select tests.authenticate_as('operator');

select isnt(
    (
        select r.id from public.submit_run(
            tests.workspace_id(), 'etl', params => (repeat('{"a": ', 32) || '1' || repeat('}', 32))::jsonb
        ) as r
    ),
    null, 'params nested 32 levels deep are accepted'
);
select isnt(
    (
        select r.id from public.submit_run(
            tests.workspace_id(), 'etl', params => ('{"a": ' || repeat('[', 31) || '1' || repeat(']', 31) || '}')::jsonb
        ) as r
    ),
    null, 'arrays count as levels: 1 object + 31 arrays are accepted'
);
select throws_ok(
    $$ select public.submit_run(tests.workspace_id(), 'etl', params => (repeat('{"a": ', 33) || '1' || repeat('}', 33))::jsonb) $$,
    '22023', 'params is nested too deeply: more than 32 levels, the limit is 32 levels', '33 levels are refused'
);
select throws_ok(
    $$ select public.submit_run(tests.workspace_id(), 'etl', params => ('{"a": ' || repeat('[', 999) || repeat(']', 999) || '}')::jsonb) $$,
    '22023', 'params is nested too deeply: more than 32 levels, the limit is 32 levels', '1,000 levels are refused with the same code'
);
select is(
    (select count(*) from public.runs as r where r.workspace_id = tests.workspace_id()),
    2::bigint, 'only the runs within the limit were queued'
);

select * from finish();
rollback;
