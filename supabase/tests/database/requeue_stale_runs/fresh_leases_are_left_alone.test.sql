begin;
select plan(2);

-- SETUP
select tests.seed();
select * from tests.claimed_attempt(now() - interval '14 minutes') \gset
select tests.reset_role();
select public.requeue_stale_runs(null, tests.workspace_id());

-- TEST: a lease within its tolerance survives the sweep
select is((tests.run(:'run_id')).status, 'claimed', 'a lease within its tolerance is kept');
select is((tests.attempt(:'lease')).status, 'claimed', 'its attempt stays live');

select * from finish();
rollback;
