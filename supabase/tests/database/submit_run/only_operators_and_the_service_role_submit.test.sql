begin;
select plan(6);

-- SETUP
select tests.seed();

-- TEST: anon, executors, viewers and outsiders cannot submit
select tests.clear_authentication();
select throws_ok(
    $$ select public.submit_run(tests.workspace_id(), 'etl') $$,
    '42501', null, 'anon cannot submit'
);

select tests.authenticate_as_executor(tests.pool());
select throws_ok(
    $$ select public.submit_run(tests.workspace_id(), 'etl') $$,
    '42501', null, 'an executor cannot submit'
);

select tests.authenticate_as('viewer');
select throws_ok(
    $$ select public.submit_run(tests.workspace_id(), 'etl') $$,
    '42501', 'only operators, admins and owners of the workspace submit runs', 'a viewer cannot submit'
);

select tests.authenticate_as('outsider');
select throws_ok(
    $$ select public.submit_run(tests.workspace_id(), 'etl') $$,
    '42501', 'only operators, admins and owners of the workspace submit runs', 'an unrelated user cannot submit'
);

-- TEST: the service role and owners submit
select tests.authenticate_as_service_role();
select is(
    (select r.status_changed_by from public.submit_run(tests.workspace_id(), 'etl') as r),
    'service_role',
    'the service role submits, audited as service_role'
);

select tests.authenticate_as('owner');
select is(
    (select r.status from public.submit_run(tests.workspace_id(), 'etl') as r),
    'queued',
    'an owner submits'
);

select * from finish();
rollback;
