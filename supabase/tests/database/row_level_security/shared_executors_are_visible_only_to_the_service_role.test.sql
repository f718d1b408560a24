begin;
select plan(3);

-- SETUP
select tests.seed();
select tests.executor();
select tests.reset_role();

-- TEST: a workspace owner does not see shared executors
select tests.authenticate_as('owner');
select is(
    (select count(*)::integer from public.executors where executors.pool = tests.pool()),
    0,
    'a workspace owner does not see shared executors'
);

-- TEST: anon cannot read executors
select tests.clear_authentication();
select throws_ok(
    $$ select count(*) from public.executors $$,
    '42501', null,
    'anon cannot read executors'
);

-- TEST: the service role sees shared executors
select tests.authenticate_as_service_role();
select is(
    (select count(*)::integer from public.executors where executors.pool = tests.pool()),
    1,
    'the service role sees shared executors'
);

select * from finish();
rollback;
