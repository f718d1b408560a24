begin;
select plan(7);

-- SETUP
select tests.seed();
select * from tests.queued_run() \gset
select tests.executor(tests.workspace_id()) as executor_id \gset

-- TEST: start is a boolean
select throws_ok(
    format($$ select * from public.claim_runs(%L, 1, start => null) $$, :'executor_id'),
    '22023', 'start must be true or false', 'start is a boolean'
);

-- TEST: a claim with start moves the run and its attempt to running, both steps audited
select c.lease_token as lease from public.claim_runs(:'executor_id', 5, start => true) as c \gset
select tests.reset_role();
select is((tests.run(:'run_id')).status, 'running', 'the run is running');
select is((tests.attempt(:'lease')).status, 'running', 'its attempt is running');
select isnt((tests.attempt(:'lease')).started_at, null, 'with started_at');
select results_eq(
    format(
        $$
        select t.to_status, t.reason from public.run_transitions as t
        where t.run_id = %L order by t.id
        $$,
        :'run_id'
    ),
    $$ values ('queued'::text, 'submitted'::text), ('claimed', 'claimed (attempt 1)'), ('running', 'started (attempt 1)') $$,
    'both steps are audited'
);

-- TEST: start_run after it is a duplicate, and the run completes
select tests.authenticate_as_executor(tests.pool(), tests.workspace_id());
select is(
    public.start_run(:'lease') ->> 'outcome', 'duplicate',
    'a start_run after it is a duplicate'
);
select is(
    public.complete_run(:'lease') ->> 'run_status', 'succeeded',
    'and the run completes'
);

select * from finish();
rollback;
