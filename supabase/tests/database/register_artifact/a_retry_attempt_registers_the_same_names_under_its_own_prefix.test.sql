begin;
select plan(4);

-- SETUP
select tests.seed();
-- attempt 1 writes its log, then fails and is retried
select * from tests.running_attempt(now() - interval '1 hour') \gset
select format('s3://controlroom-artifacts/%s/%s/', tests.workspace_id(), :'run_id') as prefix \gset
select public.register_artifact(
    :'lease', 'extract', 'logs/stdout.log', :'prefix' || '1/extract/logs/stdout.log',
    repeat('1', 64), 10, as_of => now() - interval '1 hour'
);
select public.fail_run(:'lease', true, 'io', null, now() - interval '1 hour');
-- attempt 2 starts
select tests.claim(:'executor_id', now() - interval '30 minutes') as lease2 \gset
select public.start_run(:'lease2', now() - interval '30 minutes');

-- TEST: attempt 2 registers the same names under its own prefix only
select is(
    public.register_artifact(
        :'lease2', 'extract', 'logs/stdout.log', :'prefix' || '2/extract/logs/stdout.log',
        repeat('2', 64), 20
    ) ->> 'outcome',
    'accepted', 'the retry registers the same phase and name under its attempt''s prefix'
);
select is(
    public.register_artifact(
        :'lease2', 'load', 'logs/stdout.log', :'prefix' || '2/load/logs/stdout.log',
        repeat('3', 64), 30
    ) ->> 'outcome',
    'accepted', 'another phase of the same attempt may use the same name'
);
select throws_ok(
    format(
        $$
        select public.register_artifact(
            %L, 'extract', 'logs/stdout.log', %L,
            repeat('2', 64), 20
        )
        $$,
        :'lease2', :'prefix' || '1/extract/logs/stdout.log'
    ),
    '22023', null, 'an attempt cannot write under the prefix of the attempt before it'
);

-- TEST: each attempt keeps its own records
select tests.reset_role();
select results_eq(
    format(
        $$
        select a.attempt_no, x.phase, x.name, x.sha256
        from public.artifacts as x inner join public.run_attempts as a on x.attempt_id = a.id
        where x.run_id = %L
        order by a.attempt_no, x.phase
        $$,
        :'run_id'
    ),
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
