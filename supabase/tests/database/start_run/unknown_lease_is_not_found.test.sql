begin;
select plan(1);

-- SETUP
select tests.seed();
select tests.executor();

-- TEST: a lease no attempt holds is not found
select throws_ok(
    $$ select public.start_run(gen_random_uuid()) $$,
    'PT404', null, 'a lease no attempt holds is not found'
);

select * from finish();
rollback;
