begin;
select plan(2);

-- SETUP
select tests.seed();
select tests.submit_run(tests.workspace_id(), 'etl', 0, now() + interval '1 hour');
select tests.executor(tests.workspace_id()) as executor_id \gset

-- TEST: a run is claimed only once its not_before has passed
select is(
    (select count(*)::integer from public.claim_runs(:'executor_id', 10)),
    0, 'a run is not claimed before its not_before'
);
select is(
    (select count(*)::integer from public.claim_runs(:'executor_id', 10, as_of => now() + interval '2 hours')),
    1, 'it is claimed once not_before has passed'
);

select * from finish();
rollback;
