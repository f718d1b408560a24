begin;
select plan(4);

-- SETUP
select tests.seed();

-- TEST: anon, users and the service role cannot register
select tests.clear_authentication();
select throws_ok($$ select public.register_executor() $$, '42501', null, 'anon cannot register');

select tests.authenticate_as('owner');
select throws_ok($$ select public.register_executor() $$, '42501', null, 'a user cannot register');

select tests.authenticate_as_service_role();
select throws_ok($$ select public.register_executor() $$, '42501', null, 'the service role is not an executor');

-- TEST: an executor token needs a pool claim
select set_config('role', 'controlroom_executor', true);
select set_config('request.jwt.claims', '{"role": "controlroom_executor", "sub": "6f1c3c40-9d1e-4f55-8e3c-6b2f1e1d2a10"}', true);
select throws_ok(
    $$ select public.register_executor() $$,
    '42501', 'the executor token has no pool claim', 'an executor token needs a pool claim'
);

select * from finish();
rollback;
