begin;
select plan(6);

-- SETUP
select tests.seed();
select * from tests.registered_artifact() \gset

-- TEST: executors, anon, viewers and outsiders cannot record verifications
select throws_ok(
    format($$ select public.record_artifact_verification(%L, true, repeat('a', 64), 100) $$, :'artifact_id'),
    '42501', null, 'executors cannot record verifications'
);

select tests.clear_authentication();
select throws_ok(
    format($$ select public.record_artifact_verification(%L, true, repeat('a', 64), 100) $$, :'artifact_id'),
    '42501', null, 'anon cannot record verifications'
);

select tests.authenticate_as('viewer');
select throws_ok(
    format($$ select public.record_artifact_verification(%L, true, repeat('a', 64), 100) $$, :'artifact_id'),
    '42501', 'viewers cannot record artifact verifications', 'viewers cannot record verifications'
);

select tests.authenticate_as('outsider');
select throws_ok(
    format($$ select public.record_artifact_verification(%L, true, repeat('a', 64), 100) $$, :'artifact_id'),
    'PT404', null, 'for an unrelated user the artifact does not exist'
);

-- TEST: an unknown artifact is not found, even for an operator
select tests.authenticate_as('operator');
select throws_ok(
    $$ select public.record_artifact_verification(gen_random_uuid(), true, repeat('a', 64), 100) $$,
    'PT404', null, 'an unknown artifact is not found'
);

-- TEST: nothing is recorded
select tests.reset_role();
select is(
    (
        select count(*)::integer from public.run_events
        where run_events.run_id = :'run_id' and run_events.type like 'artifact.verif%'
    ),
    0, 'nothing is recorded'
);

select * from finish();
rollback;
