begin;
select plan(2);

-- SETUP
select tests.seed('{"retries": {"max_attempts": 3, "base_seconds": 1}}');
select public.set_score_weights(tests.pool(), '{"retry_weight": 250}');
select tests.submit_run(tests.workspace_id(), 'etl', 0, now() - interval '10 minutes') as run_id \gset
select (tests.run(:'run_id')).score as submitted_score \gset
select tests.executor(tests.workspace_id()) as executor_id \gset
select pg_catalog.count(f.reply)
from public.claim_runs(:'executor_id', 1, start => true) as c
cross join lateral public.fail_run(c.lease_token, true, 'io_error', 'boom') as f (reply);
select tests.reset_role();

-- TEST: a retried run is queued again with a new score: its retry factor counts
select is((tests.run(:'run_id')).status, 'queued', 'the failed run is queued again');
select is(
    (tests.run(:'run_id')).score - :'submitted_score'::double precision,
    250::double precision,
    'the requeue rescored it: the retry weight is added (age restarts from the requeue)'
);

select * from finish();
rollback;
