begin;
select plan(2);

-- SETUP
select tests.seed();
select * from tests.claimed_attempt() \gset

-- TEST: another executor credential cannot use the lease
select tests.authenticate_as_executor(tests.pool(), tests.workspace_id(), gen_random_uuid());
select throws_ok(
    format($$ select public.start_run(%L) $$, :'lease'),
    '42501', null, 'a lease is usable only by the credential that claimed it'
);

-- TEST: a user cannot use it either
select tests.authenticate_as('owner');
select throws_ok(
    format($$ select public.start_run(%L) $$, :'lease'),
    '42501', null, 'users cannot call executor RPCs'
);

select * from finish();
rollback;
