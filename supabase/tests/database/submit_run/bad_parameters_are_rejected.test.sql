begin;
select plan(5);

-- SETUP
select tests.seed();
select tests.authenticate_as('operator');

-- TEST: params, priority, the spec reference and the idempotency key are checked
select throws_ok(
    $$ select public.submit_run(tests.workspace_id(), 'etl', params => '[1, 2]') $$,
    '22023', 'params must be a JSON object', 'params must be an object'
);
select throws_ok(
    $$ select public.submit_run(tests.workspace_id(), 'etl', priority => 5000) $$,
    '22023', 'priority must be between -1000 and 1000', 'priority is bounded'
);
select throws_ok(
    $$ select public.submit_run(tests.workspace_id()) $$,
    '22023', null, 'a spec must be named'
);
select throws_ok(
    $$ select public.submit_run(tests.workspace_id(), 'etl', spec_hash => repeat('0', 64)) $$,
    '22023', null, 'name and hash together are ambiguous'
);
select throws_ok(
    $$ select public.submit_run(tests.workspace_id(), 'etl', idempotency_key => '') $$,
    '22023', null, 'an empty idempotency key is refused'
);

select * from finish();
rollback;
