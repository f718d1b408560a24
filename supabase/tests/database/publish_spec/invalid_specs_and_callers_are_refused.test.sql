begin;
select plan(5);

-- SETUP
select tests.seed();

-- TEST: invalid specs are refused
select tests.authenticate_as('admin');
select throws_ok(
    $$ select public.publish_spec(tests.workspace_id(), 'x', '1', '{"retries": {"max_attempts": "three"}}') $$,
    '22023', 'invalid pipeline spec: body.retries.max_attempts must be an integer from 1 to 100', 'settings are type-checked'
);
select throws_ok(
    $$ select public.publish_spec(tests.workspace_id(), 'x', '1', '{"name": "y"}') $$,
    '22023', 'invalid pipeline spec: body.name differs from name', 'body name must match'
);
select throws_ok(
    $$ select public.publish_spec(tests.workspace_id(), 'bad name', '1', '{}') $$,
    '22023', null, 'names are tokens'
);

-- TEST: operators and executors do not publish
select tests.authenticate_as('operator');
select throws_ok(
    $$ select public.publish_spec(tests.workspace_id(), 'x', '1', '{}') $$,
    '42501', null, 'operators do not publish'
);
select tests.authenticate_as_executor(tests.pool());
select throws_ok(
    $$ select public.publish_spec(tests.workspace_id(), 'x', '1', '{}') $$,
    '42501', null, 'executors do not publish'
);

select * from finish();
rollback;
