begin;
select plan(4);

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
select is(
    public.record_artifact_verification(current_setting('t.artifact')::uuid, false, repeat('b', 64), 100) ->> 'status',
    'mismatch', 'another digest is a mismatch'
);
select is(
    public.record_artifact_verification(current_setting('t.artifact')::uuid, false, null, null) ->> 'status',
    'missing', 'no digest and no size is a missing object'
);

select tests.reset_role();
select results_eq(
    $$
    select e.type, e.level, e.payload ->> 'status', e.payload ->> 'expected_sha256', e.payload ->> 'actual_sha256', e.payload ->> 'actor'
    from public.run_events as e
    where e.run_id = current_setting('t.run')::uuid and e.type like 'artifact.verif%'
    order by e.id
    $$,
    $$
    values
        ('artifact.verification_failed'::text, 'error'::text, 'mismatch'::text, repeat('a', 64), repeat('b', 64), 'service_role'::text),
        ('artifact.verification_failed'::text, 'error'::text, 'missing'::text, repeat('a', 64), null::text, 'service_role'::text)
    $$,
    'each failure is an artifact.verification_failed event at level error with expected vs actual'
);
select is(
    (select count(*)::integer from public.artifacts as a where a.id = current_setting('t.artifact')::uuid and a.sha256 = repeat('a', 64)),
    1, 'the record itself is unchanged'
);

select * from finish();
rollback;
