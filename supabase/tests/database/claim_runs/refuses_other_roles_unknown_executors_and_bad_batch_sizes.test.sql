begin;
select plan(5);

select tests.seed();
select set_config('t.executor', tests.executor()::text, true);

select throws_ok(
    $$ select * from public.claim_runs(current_setting('t.executor')::uuid, 0) $$,
    '22023', 'max_runs must be between 1 and 100', 'max_runs must be positive'
);
select throws_ok(
    $$ select * from public.claim_runs(current_setting('t.executor')::uuid, 101) $$,
    '22023', 'max_runs must be between 1 and 100', 'max_runs is bounded'
);
select throws_ok(
    $$ select * from public.claim_runs(gen_random_uuid()) $$,
    'PT404', null, 'an unknown executor is not found'
);

select tests.authenticate_as('operator');
select throws_ok(
    $$ select * from public.claim_runs(current_setting('t.executor')::uuid) $$,
    '42501', null, 'a user cannot claim'
);

select tests.clear_authentication();
select throws_ok(
    $$ select * from public.claim_runs(current_setting('t.executor')::uuid) $$,
    '42501', null, 'anon cannot claim'
);

select * from finish();
rollback;
