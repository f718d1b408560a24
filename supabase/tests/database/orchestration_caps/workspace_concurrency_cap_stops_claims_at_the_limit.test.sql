begin;
select plan(4);

-- SETUP
select tests.seed();
select public.set_workspace_limits(tests.workspace_id(), '{"max_concurrent_runs": 2}');
select tests.submit_run(tests.workspace_id(), 'etl', 0, now() - interval '4 minutes');
select tests.submit_run(tests.workspace_id(), 'etl', 0, now() - interval '3 minutes');
select tests.submit_run(tests.workspace_id(), 'etl', 0, now() - interval '2 minutes');
select tests.submit_run(tests.other_workspace_id(), 'etl', 0, now() - interval '1 minute');
select tests.executor() as executor_id \gset

-- TEST: a claim of 3 takes the 2 the cap allows, and the other workspace's run
select is(
    (select pg_catalog.count(*)::integer from public.claim_runs(:'executor_id', 10)),
    3,
    'a claim takes the cap of the capped workspace and the other workspace''s run'
);

select tests.reset_role();
select is(
    (select pg_catalog.count(*)::integer from public.runs as r
        where r.workspace_id = tests.workspace_id() and r.status = 'claimed'),
    2,
    'exactly max_concurrent_runs runs of the workspace are claimed'
);

-- TEST: at the cap nothing more is claimed; one more of room lets one more through
select tests.authenticate_as_executor(tests.pool(), null, null);
select is(
    (select pg_catalog.count(*)::integer from public.claim_runs(:'executor_id', 10)),
    0,
    'at the cap the claim returns nothing'
);
select tests.reset_role();
select public.set_workspace_limits(tests.workspace_id(), '{"max_concurrent_runs": 3}');
select tests.authenticate_as_executor(tests.pool(), null, null);
select is(
    (select pg_catalog.count(*)::integer from public.claim_runs(:'executor_id', 10)),
    1,
    'raising the cap by one lets exactly one more run be claimed'
);

select * from finish();
rollback;
