begin;
select plan(4);

select tests.seed();
select set_config('t.run', tests.submit_run(tests.workspace_id(), 'etl', 0, now() - interval '1 hour')::text, true);
select set_config('t.executor', tests.executor(tests.workspace_id())::text, true);
select set_config('t.prefix', format('s3://controlroom-artifacts/%s/%s/', tests.workspace_id(), current_setting('t.run')), true);

-- attempt 1 writes its log, then fails and is retried
select set_config('t.lease1', tests.claim(current_setting('t.executor')::uuid, now() - interval '1 hour')::text, true);
select public.start_run(current_setting('t.lease1')::uuid, now() - interval '1 hour');
select public.register_artifact(
    current_setting('t.lease1')::uuid, 'extract', 'logs/stdout.log', current_setting('t.prefix') || '1/extract/logs/stdout.log',
    repeat('1', 64), 10, as_of => now() - interval '1 hour'
);
select public.fail_run(current_setting('t.lease1')::uuid, true, 'io', null, now() - interval '1 hour');

-- attempt 2 produces the same names
select set_config('t.lease2', tests.claim(current_setting('t.executor')::uuid, now() - interval '30 minutes')::text, true);
select public.start_run(current_setting('t.lease2')::uuid, now() - interval '30 minutes');
select is(
    public.register_artifact(
        current_setting('t.lease2')::uuid, 'extract', 'logs/stdout.log', current_setting('t.prefix') || '2/extract/logs/stdout.log',
        repeat('2', 64), 20
    ) ->> 'outcome',
    'accepted', 'the retry registers the same phase and name under its attempt''s prefix'
);
select is(
    public.register_artifact(
        current_setting('t.lease2')::uuid, 'load', 'logs/stdout.log', current_setting('t.prefix') || '2/load/logs/stdout.log',
        repeat('3', 64), 30
    ) ->> 'outcome',
    'accepted', 'another phase of the same attempt may use the same name'
);
select throws_ok(
    $$
    select public.register_artifact(
        current_setting('t.lease2')::uuid, 'extract', 'logs/stdout.log', current_setting('t.prefix') || '1/extract/logs/stdout.log',
        repeat('2', 64), 20
    )
    $$,
    '22023', null, 'an attempt cannot write under the prefix of the attempt before it'
);

select tests.reset_role();
select results_eq(
    $$
    select a.attempt_no, x.phase, x.name, x.sha256
    from public.artifacts as x inner join public.run_attempts as a on x.attempt_id = a.id
    where x.run_id = current_setting('t.run')::uuid
    order by a.attempt_no, x.phase
    $$,
    $$
    values
        (1, 'extract'::text, 'logs/stdout.log'::text, repeat('1', 64)),
        (2, 'extract'::text, 'logs/stdout.log'::text, repeat('2', 64)),
        (2, 'load'::text, 'logs/stdout.log'::text, repeat('3', 64))
    $$,
    'each attempt keeps its own records'
);

select * from finish();
rollback;
