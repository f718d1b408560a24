begin;
select plan(4);

-- SETUP
select tests.seed();

-- TEST: anon, users and executors cannot requeue
select tests.clear_authentication();
select throws_ok($$ select public.requeue_stale_runs(null, tests.workspace_id()) $$, '42501', null, 'anon cannot requeue');
select tests.authenticate_as('owner');
select throws_ok($$ select public.requeue_stale_runs(null, tests.workspace_id()) $$, '42501', null, 'a user cannot requeue');
select tests.authenticate_as_executor(tests.pool());
select throws_ok($$ select public.requeue_stale_runs(null, tests.workspace_id()) $$, '42501', null, 'an executor cannot requeue');

-- TEST: the service role can
select tests.authenticate_as_service_role();
select lives_ok($$ select public.requeue_stale_runs(null, tests.workspace_id()) $$, 'the service role may');

select * from finish();
rollback;
