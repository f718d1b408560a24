begin;
select plan(8);

-- SETUP
select tests.seed();

-- TEST: operators, viewers, outsiders and executors cannot change limits
select tests.authenticate_as('operator');
select throws_ok(
    $$ select public.set_workspace_limits(tests.workspace_id(), '{"max_concurrent_runs": 1}') $$,
    '42501', null, 'an operator cannot change limits'
);
select tests.authenticate_as('outsider');
select throws_ok(
    $$ select public.set_pool_limits(tests.workspace_id(), 'default', 1) $$,
    '42501', null, 'an outsider cannot change limits'
);
select tests.clear_authentication();
select throws_ok(
    $$ select public.set_spec_limits(tests.workspace_id(), 'etl', 1) $$,
    '42501', null, 'anon cannot call the limits RPCs'
);

-- TEST: an admin changes them, unknown keys are refused, viewers read them
select tests.authenticate_as('admin');
select is(
    (select l.max_concurrent_runs from public.set_workspace_limits(tests.workspace_id(), '{"max_concurrent_runs": 4}') as l),
    4,
    'an admin sets the workspace cap'
);
select throws_ok(
    $$ select public.set_workspace_limits(tests.workspace_id(), '{"max_runs": 4}') $$,
    '22023', 'unknown limit max_runs', 'an unknown limit is refused'
);
select public.set_spec_limits(tests.workspace_id(), 'etl', 2);
select tests.authenticate_as('viewer');
select is(
    (select pg_catalog.count(*)::integer from public.limit_changes),
    3,
    'a viewer reads the audit: the row created, the cap set, the pipeline cap set'
);

-- TEST: the audit is append-only
select tests.reset_role();
select throws_ok(
    $$ delete from public.limit_changes where workspace_id = tests.workspace_id() $$,
    '42501', null, 'limit_changes rows cannot be deleted'
);
select is(
    (select c.after ->> 'max_concurrent_runs' from public.limit_changes as c
        where c.workspace_id = tests.workspace_id() and c.scope = 'workspace' order by c.id desc limit 1),
    '4',
    'the audit holds the new value'
);

select * from finish();
rollback;
