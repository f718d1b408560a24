begin;
select plan(3);

-- SETUP
select tests.seed();
select tests.submit_run(tests.workspace_id(), 'etl');
select tests.submit_run(tests.workspace_id(), 'etl');
select tests.executor(tests.workspace_id()) as executor_id \gset

-- TEST: the first claim takes both runs, a second finds nothing
select is(
    (select count(*)::integer from public.claim_runs(:'executor_id', 10)),
    2, 'the first claim takes both runs'
);
select is(
    (select count(*)::integer from public.claim_runs(:'executor_id', 10)),
    0, 'a second claim finds nothing'
);

-- TEST: each run has one attempt
select tests.reset_role();
select is(
    (select count(*)::integer from public.run_attempts where run_attempts.workspace_id = tests.workspace_id()),
    2, 'one attempt per run'
);

select * from finish();
rollback;
