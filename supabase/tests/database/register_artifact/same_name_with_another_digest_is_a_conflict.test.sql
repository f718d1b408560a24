begin;
select plan(5);

-- SETUP
select tests.seed();
select * from tests.running_attempt() \gset
select format('%s/%s/1/extract/out.csv', tests.workspace_id(), :'run_id') as key \gset
select public.register_artifact(
    :'lease', 'extract', 'out.csv', 's3://controlroom-artifacts/' || :'key',
    repeat('1', 64), 100
);

-- TEST: the same object with another digest, size or bucket is a conflict
select throws_ok(
    format(
        $$
        select public.register_artifact(
            %L, 'extract', 'out.csv', 's3://controlroom-artifacts/' || %L,
            repeat('2', 64), 100
        )
        $$,
        :'lease', :'key'
    ),
    '23505', null, 'the same object with another digest is a conflict (write-once)'
);
select throws_ok(
    format(
        $$
        select public.register_artifact(
            %L, 'extract', 'out.csv', 's3://controlroom-artifacts/' || %L,
            repeat('1', 64), 101
        )
        $$,
        :'lease', :'key'
    ),
    '23505', null, 'the same object with another size is a conflict'
);
select throws_ok(
    format(
        $$
        select public.register_artifact(
            %L, 'extract', 'out.csv', 's3://other-bucket/' || %L,
            repeat('1', 64), 100
        )
        $$,
        :'lease', :'key'
    ),
    '23505', null, 'the same name in another bucket is a conflict'
);

-- TEST: the first record stands and refusals write no event
select tests.reset_role();
select results_eq(
    format($$ select a.sha256, a.size_bytes from public.artifacts as a where a.run_id = %L $$, :'run_id'),
    $$ values (repeat('1', 64), 100::bigint) $$,
    'the first record stands'
);
select is(
    (
        select count(*)::integer from public.run_events
        where run_events.run_id = :'run_id' and run_events.type = 'artifact.registered'
    ),
    1, 'refusals write no artifact event'
);

select * from finish();
rollback;
