begin;
select plan(1);

-- SETUP
select tests.seed();
select tests.executor();

-- TEST: the result must be a JSON object
select throws_ok(
    $$ select public.complete_run(gen_random_uuid(), '[1]') $$,
    '22023', 'result must be a JSON object', 'the result must be an object'
);

select * from finish();
rollback;
