begin;
select plan(4);

select tests.seed();
select set_config('t.run', tests.submit_run(tests.workspace_id(), 'etl')::text, true);
select set_config('t.lease', tests.claim(tests.executor(tests.workspace_id()))::text, true);
select public.start_run(current_setting('t.lease')::uuid);
select set_config(
    't.uri',
    format('s3://controlroom-artifacts/%s/%s/1/extract/logs/stdout.log', tests.workspace_id(), current_setting('t.run')),
    true
);

select set_config('t.first', public.register_artifact(
    current_setting('t.lease')::uuid, 'extract', 'logs/stdout.log', current_setting('t.uri'), repeat('0', 64), 42
)::text, true);
select set_config('t.again', public.register_artifact(
    current_setting('t.lease')::uuid, 'extract', 'logs/stdout.log', current_setting('t.uri'), repeat('0', 64), 42
)::text, true);

select is(current_setting('t.again')::jsonb ->> 'outcome', 'duplicate', 'the same record sent again (a lost response) is a duplicate');
select is(
    current_setting('t.again')::jsonb - 'outcome', current_setting('t.first')::jsonb - 'outcome',
    'the duplicate answers with the stored record'
);

select tests.reset_role();
select is(
    (select count(*)::integer from public.artifacts where artifacts.run_id = current_setting('t.run')::uuid),
    1, 'nothing is stored twice'
);
select is(
    (
        select count(*)::integer from public.run_events
        where run_events.run_id = current_setting('t.run')::uuid and run_events.type = 'artifact.registered'
    ),
    1, 'and no second event is written'
);

select * from finish();
rollback;
