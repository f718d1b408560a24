begin;
select plan(1);

-- SETUP
select tests.seed();
select tests.executor();

-- TEST: a lease no attempt holds is not found
select throws_ok(
    $$
    select public.register_artifact(
        gen_random_uuid(), 'extract', 'out.csv',
        format('s3://controlroom-artifacts/%s/%s/1/extract/out.csv', gen_random_uuid(), gen_random_uuid()),
        repeat('a', 64), 1
    )
    $$,
    'PT404', null, 'a lease no attempt holds is not found'
);

select * from finish();
rollback;
