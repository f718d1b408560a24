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

select tests.authenticate_as('operator');
select set_config('t.reply', public.record_artifact_verification(
    current_setting('t.artifact')::uuid, true, repeat('a', 64), 100
)::text, true);

select is(current_setting('t.reply')::jsonb ->> 'outcome', 'recorded', 'an operator records a verification');
select is(current_setting('t.reply')::jsonb ->> 'status', 'ok', 'the status is ok');

select tests.reset_role();
select results_eq(
    $$
    select e.type, e.level, e.phase, e.attempt_id, e.payload - 'uri'
    from public.run_events as e
    where e.run_id = current_setting('t.run')::uuid and e.type like 'artifact.verif%'
    $$,
    $$
    values (
        'artifact.verified'::text, 'info'::text, 'extract'::text, (tests.attempt(current_setting('t.lease')::uuid)).id,
        jsonb_build_object(
            'artifact_id', current_setting('t.artifact'), 'name', 'out.csv', 'status', 'ok',
            'expected_sha256', repeat('a', 64), 'expected_size', 100,
            'actual_sha256', repeat('a', 64), 'actual_size', 100,
            'actor', 'user:' || tests.get_user_id('operator')
        )
    )
    $$,
    'an artifact.verified event carries expected and actual digest and size and the actor'
);
select is(
    (current_setting('t.reply')::jsonb ->> 'event_id')::bigint,
    (select e.id from public.run_events as e where e.run_id = current_setting('t.run')::uuid and e.type = 'artifact.verified'),
    'the reply names the event'
);

select * from finish();
rollback;
