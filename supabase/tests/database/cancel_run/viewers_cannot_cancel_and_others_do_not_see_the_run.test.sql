begin;
select plan(5);

-- SETUP
select tests.seed();
select * from tests.queued_run() \gset

-- TEST: only operators of the workspace may cancel
select tests.authenticate_as('viewer');
select throws_ok(format($$ select public.cancel_run(%L) $$, :'run_id'), '42501', null, 'a viewer cannot cancel');

select tests.authenticate_as('outsider');
select throws_ok(format($$ select public.cancel_run(%L) $$, :'run_id'), 'PT404', null, 'an unrelated user does not see the run');

select tests.clear_authentication();
select throws_ok(format($$ select public.cancel_run(%L) $$, :'run_id'), '42501', null, 'anon cannot cancel');

select tests.authenticate_as_executor(tests.pool());
select throws_ok(format($$ select public.cancel_run(%L) $$, :'run_id'), '42501', null, 'an executor cannot cancel');

-- TEST: an unknown run is not found
select tests.authenticate_as('operator');
select throws_ok($$ select public.cancel_run(gen_random_uuid()) $$, 'PT404', null, 'an unknown run is not found');

select * from finish();
rollback;
