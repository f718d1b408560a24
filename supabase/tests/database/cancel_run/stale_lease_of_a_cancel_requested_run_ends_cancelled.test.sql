begin;
select plan(1);

select tests.seed();
select set_config('t.run', tests.submit_run(tests.workspace_id(), 'etl', 0, now() - interval '2 hours')::text, true);
select tests.claim(tests.executor(tests.workspace_id()), now() - interval '1 hour');
select tests.authenticate_as('operator');
select public.cancel_run(current_setting('t.run')::uuid);
select tests.reset_role();
select public.requeue_stale_runs();

select is((tests.run(current_setting('t.run')::uuid)).status, 'cancelled', 'the run is cancelled, not requeued');

select * from finish();
rollback;
