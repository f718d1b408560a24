begin;
select plan(7);

select tests.seed();
select set_config('t.run', tests.submit_run(tests.workspace_id(), 'etl')::text, true);
select set_config('t.executor', tests.executor(tests.workspace_id())::text, true);

select throws_ok(
    $$ select * from public.claim_runs(current_setting('t.executor')::uuid, 1, start => null) $$,
    '22023', 'start must be true or false', 'start is a boolean'
);
select set_config(
    't.lease',
    (select c.lease_token::text from public.claim_runs(current_setting('t.executor')::uuid, 5, start => true) as c),
    true
);

select tests.reset_role();
select is((tests.run(current_setting('t.run')::uuid)).status, 'running', 'the run is running');
select is((tests.attempt(current_setting('t.lease')::uuid)).status, 'running', 'its attempt is running');
select isnt((tests.attempt(current_setting('t.lease')::uuid)).started_at, null, 'with started_at');
select results_eq(
    $$
    select t.to_status, t.reason from public.run_transitions as t
    where t.run_id = current_setting('t.run')::uuid order by t.id
    $$,
    $$ values ('queued'::text, 'submitted'::text), ('claimed', 'claimed (attempt 1)'), ('running', 'started (attempt 1)') $$,
    'both steps are audited'
);

select tests.authenticate_as_executor(tests.pool(), tests.workspace_id());
select is(
    public.start_run(current_setting('t.lease')::uuid) ->> 'outcome', 'duplicate',
    'a start_run after it is a duplicate'
);
select is(
    public.complete_run(current_setting('t.lease')::uuid) ->> 'run_status', 'succeeded',
    'and the run completes'
);

select * from finish();
rollback;
