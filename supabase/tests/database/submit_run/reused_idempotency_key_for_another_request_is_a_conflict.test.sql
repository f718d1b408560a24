begin;
select plan(2);

-- SETUP
select tests.seed();
select tests.authenticate_as('operator');
select public.submit_run(tests.workspace_id(), 'etl', params => '{"day": 1}', idempotency_key => 'k1');

-- TEST: the same key with other params is a conflict
select throws_ok(
    $$ select public.submit_run(tests.workspace_id(), 'etl', params => '{"day": 2}', idempotency_key => 'k1') $$,
    '23505',
    'idempotency key k1 was used for a different request',
    'the same key with other params is a conflict'
);

-- TEST: keys are scoped to the workspace
select tests.authenticate_as('outsider');
select lives_ok(
    $$ select public.submit_run(tests.other_workspace_id(), 'etl', params => '{"day": 2}', idempotency_key => 'k1') $$,
    'keys are scoped to the workspace'
);

select * from finish();
rollback;
