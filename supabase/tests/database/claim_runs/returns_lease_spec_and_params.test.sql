begin;
select plan(5);

select tests.seed('{"heartbeat_tolerance_seconds": 60, "caps": {"max_duration_seconds": 3600}}');
select tests.authenticate_as('operator');
select set_config('t.run', (select r.id from public.submit_run(tests.workspace_id(), 'etl', params => '{"x": 1}') as r)::text, true);
select set_config('t.executor', tests.executor(tests.workspace_id())::text, true);
select set_config('t.now', now()::text, true);

create temporary table claimed on commit drop as
select * from public.claim_runs(current_setting('t.executor')::uuid, 5, as_of => current_setting('t.now')::timestamptz);

select tests.reset_role();
select results_eq(
    $$ select c.run_id, c.attempt_no, c.params, c.spec_name, c.spec_version from claimed as c $$,
    $$ values (current_setting('t.run')::uuid, 1, '{"x": 1}'::jsonb, 'etl'::text, '1'::text) $$,
    'the claim returns the run, its attempt number, params and spec'
);
select is(
    (select c.spec_body ->> 'pool' from claimed as c), tests.pool(), 'the spec body is returned'
);
select is(
    (select c.lease_token from claimed as c),
    (select a.lease_token from public.run_attempts as a where a.run_id = current_setting('t.run')::uuid),
    'the lease token is the attempt''s'
);
select is(
    (select c.lease_expires_at from claimed as c),
    current_setting('t.now')::timestamptz + interval '60 seconds',
    'the lease lasts the spec''s heartbeat tolerance'
);
select is(
    (select c.deadline_at from claimed as c),
    current_setting('t.now')::timestamptz + interval '1 hour',
    'the deadline is the first claim plus the max run duration'
);

select * from finish();
rollback;
