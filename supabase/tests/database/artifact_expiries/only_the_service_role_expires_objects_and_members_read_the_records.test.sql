begin;
select plan(16);

-- SETUP
-- One artifact expired through the RPCs.
select tests.seed();
select * from tests.registered_artifact() \gset
select tests.reset_role();
select public.set_retention_policy(tests.workspace_id(), artifacts_after_days => 1);
select public.claim_artifact_expiries('test', 10, 60, tests.workspace_id(), now() + interval '2 days') -> 'expiries' -> 0 ->> 'lease_token' as token \gset
select public.confirm_artifact_expiries(
    jsonb_build_array(jsonb_build_object('artifact_id', :'artifact_id', 'lease_token', :'token', 'outcome', 'deleted')),
    now() + interval '2 days'
);

-- TEST: only the service role claims and confirms; admins, executors and anon get 42501
select tests.authenticate_as('admin');
select throws_ok($$ select public.claim_artifact_expiries('me') $$, '42501', null, 'an admin does not claim');
select throws_ok($$ select public.confirm_artifact_expiries('[]') $$, '42501', null, 'nor confirm');
select tests.authenticate_as_executor(tests.pool(), tests.workspace_id());
select throws_ok($$ select public.claim_artifact_expiries('me') $$, '42501', null, 'an executor does not claim');
select tests.clear_authentication();
select throws_ok($$ select public.claim_artifact_expiries('me') $$, '42501', null, 'anon does not claim');
select tests.authenticate_as_service_role();
select lives_ok(
    format($$ select public.claim_artifact_expiries('me', workspace_id => %L) $$, tests.workspace_id()),
    'the service role does'
);

-- TEST: members read the queue and the expiries of their workspace; others nothing
select tests.authenticate_as('viewer');
select results_eq(
    $$ select (select count(*)::integer from public.artifact_expiries), (select count(*)::integer from public.artifact_expiry_queue) $$,
    $$ values (1, 1) $$, 'a viewer reads both'
);
select tests.authenticate_as('outsider');
select results_eq(
    $$ select (select count(*)::integer from public.artifact_expiries), (select count(*)::integer from public.artifact_expiry_queue) $$,
    $$ values (0, 0) $$, 'an outsider reads nothing'
);
select tests.clear_authentication();
select throws_ok('select count(*) from public.artifact_expiries', '42501', null, 'anon reads nothing');

-- TEST: the expiry record is append-only, even for the owner
select tests.reset_role();
select throws_ok('delete from public.artifact_expiries', '42501', null, 'expiry records cannot be deleted');
select throws_ok($$ update public.artifact_expiries set outcome = 'already_gone' $$, '42501', null, 'nor changed');

-- TEST: bad input has stable codes
select tests.authenticate_as_service_role();
select throws_ok($$ select public.claim_artifact_expiries('me', 0) $$, '22023', null, 'max_artifacts 0');
select throws_ok($$ select public.claim_artifact_expiries('', 10) $$, '22023', null, 'an empty claimer');
select throws_ok(
    $$ select public.confirm_artifact_expiries('[{"artifact_id": "x", "lease_token": "y", "outcome": "deleted"}]') $$,
    '22023', 'results[0] artifact_id must be a uuid string', 'a malformed item, named by its index'
);
select throws_ok(
    format($$ select public.confirm_artifact_expiries(jsonb_build_array(
        jsonb_build_object('artifact_id', %1$L, 'lease_token', %2$L, 'outcome', 'deleted'),
        jsonb_build_object('artifact_id', %1$L, 'lease_token', %2$L, 'outcome', 'deleted'))) $$, :'artifact_id', :'token'),
    '22023', 'results[1] artifact_id is repeated in the batch', 'an artifact twice in one batch'
);
select throws_ok(
    $$ select public.confirm_artifact_expiries((select jsonb_agg('{}'::jsonb) from generate_series(1, 1001))) $$,
    'PT413', null, 'more than 1000 results'
);
select is(
    public.confirm_artifact_expiries(jsonb_build_array(jsonb_build_object(
        'artifact_id', gen_random_uuid(), 'lease_token', gen_random_uuid(), 'outcome', 'deleted'
    ))) -> 'results' -> 0 ->> 'code',
    'PT404', 'an artifact nothing is queued for'
);

select * from finish();
rollback;
