begin;
select plan(3);

select tests.seed();
select tests.authenticate_as('admin');

select is(
    (
        select s.name from public.publish_spec(
            tests.workspace_id(), 'deep', '1', (repeat('{"a": ', 32) || '1' || repeat('}', 32))::jsonb
        ) as s
    ),
    'deep', 'a body nested 32 levels deep is published'
);
select throws_ok(
    $$ select public.publish_spec(tests.workspace_id(), 'deep', '2', ('{"a": ' || repeat('[', 32) || repeat(']', 32) || '}')::jsonb) $$,
    '22023', 'body is nested too deeply: more than 32 levels, the limit is 32 levels', '33 levels are refused'
);
select throws_ok(
    $$ select public.publish_spec(tests.workspace_id(), 'deep', '3', (repeat('{"a": ', 1000) || '1' || repeat('}', 1000))::jsonb) $$,
    '22023', 'body is nested too deeply: more than 32 levels, the limit is 32 levels', '1,000 levels are refused before the spec hash could overflow the stack'
);

select * from finish();
rollback;
