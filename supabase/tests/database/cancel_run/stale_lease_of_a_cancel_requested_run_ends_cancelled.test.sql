begin;
select plan(1);

-- SETUP
select tests.seed();
select * from tests.claimed_attempt(now() - interval '1 hour') \gset
select tests.authenticate_as('operator');
select public.cancel_run(:'run_id');
select tests.reset_role();
select public.requeue_stale_runs(null, tests.workspace_id());

-- TEST: the sweep ends the cancel-requested run as cancelled
select is((tests.run(:'run_id')).status, 'cancelled', 'the run is cancelled, not requeued');

select * from finish();
rollback;
