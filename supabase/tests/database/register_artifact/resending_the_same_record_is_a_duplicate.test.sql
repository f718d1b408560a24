begin;
select plan(4);

-- SETUP
select tests.seed();
select * from tests.running_attempt() \gset
select format('s3://controlroom-artifacts/%s/%s/1/extract/logs/stdout.log', tests.workspace_id(), :'run_id') as uri \gset
select public.register_artifact(
    :'lease', 'extract', 'logs/stdout.log', :'uri', repeat('0', 64), 42
) as first_reply \gset

-- TEST: the same record sent again is a duplicate answered with the stored record
select public.register_artifact(
    :'lease', 'extract', 'logs/stdout.log', :'uri', repeat('0', 64), 42
) as again_reply \gset
select is(:'again_reply'::jsonb ->> 'outcome', 'duplicate', 'the same record sent again (a lost response) is a duplicate');
select is(
    :'again_reply'::jsonb - 'outcome', :'first_reply'::jsonb - 'outcome',
    'the duplicate answers with the stored record'
);

-- TEST: nothing is stored twice
select tests.reset_role();
select is(
    (select count(*)::integer from public.artifacts where artifacts.run_id = :'run_id'),
    1, 'nothing is stored twice'
);
select is(
    (
        select count(*)::integer from public.run_events
        where run_events.run_id = :'run_id' and run_events.type = 'artifact.registered'
    ),
    1, 'and no second event is written'
);

select * from finish();
rollback;
