begin;
select plan(2);

-- SETUP
select tests.seed();
select tests.submit_run(tests.workspace_id(), 'etl', 0, now() - interval '3 minutes');
select tests.submit_run(tests.workspace_id(), 'etl', 0, now() - interval '2 minutes');
select tests.submit_run(tests.workspace_id(), 'etl', 7, now() - interval '1 minute');
select tests.executor(tests.workspace_id()) as executor_id \gset

-- TEST: the highest priority first, then the oldest, and exactly those are claimed
select results_eq(
    format($$ select c.priority, c.attempt_no from public.claim_runs(%L, 2) as c $$, :'executor_id'),
    $$ values (7, 1), (0, 1) $$,
    'the highest priority first, then the oldest'
);

select tests.reset_role();
select results_eq(
    $$
    select r.status from public.runs as r
    where r.workspace_id = tests.workspace_id() order by r.created_at
    $$,
    $$ values ('claimed'::text), ('queued'::text), ('claimed'::text) $$,
    'exactly the returned runs are claimed'
);

select * from finish();
rollback;
