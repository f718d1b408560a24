begin;
select plan(5);

select tests.seed();
select set_config('t.run', tests.submit_run(tests.workspace_id(), 'etl')::text, true);

select tests.authenticate_as('viewer');
select throws_ok($$ select public.cancel_run(current_setting('t.run')::uuid) $$, '42501', null, 'a viewer cannot cancel');

select tests.authenticate_as('outsider');
select throws_ok($$ select public.cancel_run(current_setting('t.run')::uuid) $$, 'PT404', null, 'an unrelated user does not see the run');

select tests.clear_authentication();
select throws_ok($$ select public.cancel_run(current_setting('t.run')::uuid) $$, '42501', null, 'anon cannot cancel');

select tests.authenticate_as_executor(tests.pool());
select throws_ok($$ select public.cancel_run(current_setting('t.run')::uuid) $$, '42501', null, 'an executor cannot cancel');

select tests.authenticate_as('operator');
select throws_ok($$ select public.cancel_run(gen_random_uuid()) $$, 'PT404', null, 'an unknown run is not found');

select * from finish();
rollback;
