begin;
select plan(4);

select tests.seed();

select tests.clear_authentication();
select throws_ok($$ select public.requeue_stale_runs() $$, '42501', null, 'anon cannot requeue');
select tests.authenticate_as('owner');
select throws_ok($$ select public.requeue_stale_runs() $$, '42501', null, 'a user cannot requeue');
select tests.authenticate_as_executor(tests.pool());
select throws_ok($$ select public.requeue_stale_runs() $$, '42501', null, 'an executor cannot requeue');
select tests.authenticate_as_service_role();
select lives_ok($$ select public.requeue_stale_runs() $$, 'the service role may');

select * from finish();
rollback;
