begin;
select plan(3);

select tests.seed();
select set_config('t.run', tests.submit_run(tests.workspace_id(), 'etl')::text, true);
select set_config('t.executor', tests.executor(tests.workspace_id())::text, true);
select set_config('t.lease', tests.claim(current_setting('t.executor')::uuid)::text, true);
select public.start_run(current_setting('t.lease')::uuid);
select tests.authenticate_as('operator');

select results_eq(
    $$ select r.status, r.cancel_requested_at is not null from public.cancel_run(current_setting('t.run')::uuid, 'stop it') as r $$,
    $$ values ('running'::text, true) $$,
    'a running run stays running with a cancellation request'
);

select tests.authenticate_as_executor(tests.pool(), tests.workspace_id());
select results_eq(
    $$
    select h.directive, h.reason
    from public.heartbeat(current_setting('t.executor')::uuid, jsonb_build_array(current_setting('t.lease'))) as h
    $$,
    $$ values ('cancel'::text, 'stop it'::text) $$,
    'the next heartbeat says cancel'
);
select is(
    (select public.fail_run(current_setting('t.lease')::uuid, true, 'cancelled') ->> 'run_status'),
    'cancelled', 'a failure report after the request cancels instead of retrying'
);

select * from finish();
rollback;
