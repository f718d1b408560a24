begin;
select plan(3);

select tests.seed();
select tests.submit_run(tests.workspace_id(), 'etl');
select tests.submit_run(tests.workspace_id(), 'etl');
select set_config('t.executor', tests.executor(tests.workspace_id())::text, true);

select is(
    (select count(*)::integer from public.claim_runs(current_setting('t.executor')::uuid, 10)),
    2, 'the first claim takes both runs'
);
select is(
    (select count(*)::integer from public.claim_runs(current_setting('t.executor')::uuid, 10)),
    0, 'a second claim finds nothing'
);
select tests.reset_role();
select is(
    (select count(*)::integer from public.run_attempts where run_attempts.workspace_id = tests.workspace_id()),
    2, 'one attempt per run'
);

select * from finish();
rollback;
