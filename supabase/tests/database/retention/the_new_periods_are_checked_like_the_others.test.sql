begin;
select plan(6);

-- SETUP
select tests.seed();

-- TEST: artifact and verification periods are set with the others, and read back
select tests.authenticate_as('admin');
select results_eq(
    format($$ select p.artifacts_after_days, p.verifications_after_days, p.events_after_days
        from public.set_retention_policy(%L, events_after_days => 30, artifacts_after_days => 90, verifications_after_days => 7) as p $$,
        tests.workspace_id()),
    $$ values (90, 7, 30) $$,
    'an admin sets all four'
);

-- TEST: bad input has stable codes: negative or zero days, unknown workspace, wrong role
select throws_ok(
    format($$ select public.set_retention_policy(%L, artifacts_after_days => -1) $$, tests.workspace_id()),
    '22023', 'retention is 1 to 36500 days, or null to keep forever', 'negative artifact days'
);
select throws_ok(
    format($$ select public.set_retention_policy(%L, verifications_after_days => 0) $$, tests.workspace_id()),
    '22023', null, 'zero verification days'
);
select tests.authenticate_as('operator');
select throws_ok(
    format($$ select public.set_retention_policy(%L, artifacts_after_days => 10) $$, tests.workspace_id()),
    '42501', null, 'an operator does not set the policy'
);
select tests.authenticate_as_executor(tests.pool(), tests.workspace_id());
select throws_ok(
    format($$ select public.set_retention_policy(%L, artifacts_after_days => 10) $$, tests.workspace_id()),
    '42501', null, 'nor an executor'
);
select tests.authenticate_as_service_role();
select throws_ok(
    $$ select public.set_retention_policy(gen_random_uuid(), artifacts_after_days => 10) $$,
    'PT404', null, 'an unknown workspace'
);

select * from finish();
rollback;
