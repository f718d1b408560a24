begin;
select plan(5);

-- SETUP
select tests.seed('{"heartbeat_tolerance_seconds": 60, "caps": {"max_duration_seconds": 3600}}');
select tests.authenticate_as('operator');
select r.id as run_id from public.submit_run(tests.workspace_id(), 'etl', params => '{"x": 1}') as r \gset
select tests.executor(tests.workspace_id()) as executor_id \gset
select now() as claimed_at \gset
select tests.authenticate_as_executor(tests.pool(), tests.workspace_id());
create temporary table claimed on commit drop as
select * from public.claim_runs(:'executor_id', 5, as_of => :'claimed_at'::timestamptz);

-- TEST: the claim returns the run, its attempt, params, spec and lease
select tests.reset_role();
select results_eq(
    $$ select c.run_id, c.attempt_no, c.params, c.spec_name, c.spec_version from claimed as c $$,
    format($$ values (%L::uuid, 1, '{"x": 1}'::jsonb, 'etl'::text, '1'::text) $$, :'run_id'),
    'the claim returns the run, its attempt number, params and spec'
);
select is(
    (select c.spec_body ->> 'pool' from claimed as c), tests.pool(), 'the spec body is returned'
);
select is(
    (select c.lease_token from claimed as c),
    (select a.lease_token from public.run_attempts as a where a.run_id = :'run_id'),
    'the lease token is the attempt''s'
);

-- TEST: the lease lasts the spec's tolerance and the deadline its max duration
select is(
    (select c.lease_expires_at from claimed as c),
    :'claimed_at'::timestamptz + interval '60 seconds',
    'the lease lasts the spec''s heartbeat tolerance'
);
select is(
    (select c.deadline_at from claimed as c),
    :'claimed_at'::timestamptz + interval '1 hour',
    'the deadline is the first claim plus the max run duration'
);

select * from finish();
rollback;
