begin;
select plan(5);

-- SETUP
select tests.seed();
select tests.executor() as executor_id \gset

-- TEST: the batch size is bounded and the executor must exist
select throws_ok(
    format($$ select * from public.claim_runs(%L, 0) $$, :'executor_id'),
    '22023', 'max_runs must be between 1 and 100', 'max_runs must be positive'
);
select throws_ok(
    format($$ select * from public.claim_runs(%L, 101) $$, :'executor_id'),
    '22023', 'max_runs must be between 1 and 100', 'max_runs is bounded'
);
select throws_ok(
    $$ select * from public.claim_runs(gen_random_uuid()) $$,
    'PT404', null, 'an unknown executor is not found'
);

-- TEST: users and anon cannot claim
select tests.authenticate_as('operator');
select throws_ok(
    format($$ select * from public.claim_runs(%L) $$, :'executor_id'),
    '42501', null, 'a user cannot claim'
);

select tests.clear_authentication();
select throws_ok(
    format($$ select * from public.claim_runs(%L) $$, :'executor_id'),
    '42501', null, 'anon cannot claim'
);

select * from finish();
rollback;
