begin;
select plan(5);

select tests.seed();
select set_config('t.run', tests.submit_run(tests.workspace_id(), 'etl')::text, true);
select set_config('t.lease', tests.claim(tests.executor(tests.workspace_id()))::text, true);
select public.start_run(current_setting('t.lease')::uuid);
select set_config('t.key', format('%s/%s/1/extract/out.csv', tests.workspace_id(), current_setting('t.run')), true);
select public.register_artifact(
    current_setting('t.lease')::uuid, 'extract', 'out.csv', 's3://controlroom-artifacts/' || current_setting('t.key'),
    repeat('1', 64), 100
);

select throws_ok(
    $$
    select public.register_artifact(
        current_setting('t.lease')::uuid, 'extract', 'out.csv', 's3://controlroom-artifacts/' || current_setting('t.key'),
        repeat('2', 64), 100
    )
    $$,
    '23505', null, 'the same object with another digest is a conflict (write-once)'
);
select throws_ok(
    $$
    select public.register_artifact(
        current_setting('t.lease')::uuid, 'extract', 'out.csv', 's3://controlroom-artifacts/' || current_setting('t.key'),
        repeat('1', 64), 101
    )
    $$,
    '23505', null, 'the same object with another size is a conflict'
);
select throws_ok(
    $$
    select public.register_artifact(
        current_setting('t.lease')::uuid, 'extract', 'out.csv', 's3://other-bucket/' || current_setting('t.key'),
        repeat('1', 64), 100
    )
    $$,
    '23505', null, 'the same name in another bucket is a conflict'
);

select tests.reset_role();
select results_eq(
    $$ select a.sha256, a.size_bytes from public.artifacts as a where a.run_id = current_setting('t.run')::uuid $$,
    $$ values (repeat('1', 64), 100::bigint) $$,
    'the first record stands'
);
select is(
    (
        select count(*)::integer from public.run_events
        where run_events.run_id = current_setting('t.run')::uuid and run_events.type = 'artifact.registered'
    ),
    1, 'refusals write no artifact event'
);

select * from finish();
rollback;
