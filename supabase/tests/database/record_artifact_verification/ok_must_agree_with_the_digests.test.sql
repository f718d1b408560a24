begin;
select plan(5);

select tests.seed();
select set_config('t.run', tests.submit_run(tests.workspace_id(), 'etl')::text, true);
select set_config('t.lease', tests.claim(tests.executor(tests.workspace_id()))::text, true);
select public.start_run(current_setting('t.lease')::uuid);
select set_config('t.artifact', public.register_artifact(
    current_setting('t.lease')::uuid, 'extract', 'out.csv',
    format('s3://controlroom-artifacts/%s/%s/1/extract/out.csv', tests.workspace_id(), current_setting('t.run')),
    repeat('a', 64), 100
) ->> 'artifact_id', true);

select tests.authenticate_as_service_role();
select throws_ok(
    $$ select public.record_artifact_verification(current_setting('t.artifact')::uuid, true, repeat('b', 64), 100) $$,
    '22023', null, 'ok with another digest is refused'
);
select throws_ok(
    $$ select public.record_artifact_verification(current_setting('t.artifact')::uuid, false, repeat('a', 64), 100) $$,
    '22023', null, 'not ok with matching digest and size is refused'
);
select throws_ok(
    $$ select public.record_artifact_verification(current_setting('t.artifact')::uuid, false, 'XYZ', 100) $$,
    '22023', 'actual_sha256 must be 64 lower-case hex digits or null', 'a malformed actual digest is refused'
);
select throws_ok(
    $$ select public.record_artifact_verification(current_setting('t.artifact')::uuid, null, repeat('a', 64), 100) $$,
    '22023', 'ok must be true or false', 'ok is required'
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
