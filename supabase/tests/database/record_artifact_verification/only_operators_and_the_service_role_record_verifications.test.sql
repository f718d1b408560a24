begin;
select plan(6);

select tests.seed();
select set_config('t.run', tests.submit_run(tests.workspace_id(), 'etl')::text, true);
select set_config('t.lease', tests.claim(tests.executor(tests.workspace_id()))::text, true);
select public.start_run(current_setting('t.lease')::uuid);
select set_config('t.artifact', public.register_artifact(
    current_setting('t.lease')::uuid, 'extract', 'out.csv',
    format('s3://controlroom-artifacts/%s/%s/1/extract/out.csv', tests.workspace_id(), current_setting('t.run')),
    repeat('a', 64), 100
) ->> 'artifact_id', true);

select throws_ok(
    $$ select public.record_artifact_verification(current_setting('t.artifact')::uuid, true, repeat('a', 64), 100) $$,
    '42501', null, 'executors cannot record verifications'
);

select tests.clear_authentication();
select throws_ok(
    $$ select public.record_artifact_verification(current_setting('t.artifact')::uuid, true, repeat('a', 64), 100) $$,
    '42501', null, 'anon cannot record verifications'
);

select tests.authenticate_as('viewer');
select throws_ok(
    $$ select public.record_artifact_verification(current_setting('t.artifact')::uuid, true, repeat('a', 64), 100) $$,
    '42501', 'viewers cannot record artifact verifications', 'viewers cannot record verifications'
);

select tests.authenticate_as('outsider');
select throws_ok(
    $$ select public.record_artifact_verification(current_setting('t.artifact')::uuid, true, repeat('a', 64), 100) $$,
    'PT404', null, 'for an unrelated user the artifact does not exist'
);

select tests.authenticate_as('operator');
select throws_ok(
    $$ select public.record_artifact_verification(gen_random_uuid(), true, repeat('a', 64), 100) $$,
    'PT404', null, 'an unknown artifact is not found'
);

select tests.reset_role();
select is(
    (
        select count(*)::integer from public.run_events
        where run_events.run_id = current_setting('t.run')::uuid and run_events.type like 'artifact.verif%'
    ),
    0, 'nothing is recorded'
);

select * from finish();
rollback;
