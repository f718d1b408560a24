begin;
select plan(2);

select tests.seed();
select set_config('t.run', tests.submit_run(tests.workspace_id(), 'etl', 0, now() - interval '2 hours')::text, true);
select set_config('t.lease', tests.claim(tests.executor(tests.workspace_id()), now() - interval '14 minutes')::text, true);
select tests.reset_role();
select public.requeue_stale_runs();

select is((tests.run(current_setting('t.run')::uuid)).status, 'claimed', 'a lease within its tolerance is kept');
select is((tests.attempt(current_setting('t.lease')::uuid)).status, 'claimed', 'its attempt stays live');

select * from finish();
rollback;
