begin;
select plan(5);

select tests.seed();
select set_config('t.run', tests.submit_run(tests.workspace_id(), 'etl', 0, now() - interval '2 hours')::text, true);
select set_config('t.lease', tests.claim(tests.executor(tests.workspace_id()), now() - interval '1 hour')::text, true);
select tests.reset_role();
select public.requeue_stale_runs();
select tests.authenticate_as_executor(tests.pool(), tests.workspace_id());

select set_config('t.reply', public.start_run(current_setting('t.lease')::uuid)::text, true);
select is(current_setting('t.reply')::jsonb ->> 'code', 'PT409', 'the reply carries code PT409');
select is(current_setting('t.reply')::jsonb ->> 'outcome', 'rejected', 'the outcome is rejected');
select is(current_setting('response.status'), '409', 'PostgREST answers HTTP 409');

select tests.reset_role();
select is((tests.run(current_setting('t.run')::uuid)).status, 'queued', 'the run stays queued');
select is(
    (
        select count(*)::integer from public.run_events
        where run_events.run_id = current_setting('t.run')::uuid and run_events.type = 'lease.rejected' and run_events.payload ->> 'rpc' = 'start_run'
    ),
    1, 'the rejection is recorded as an event'
);

select * from finish();
rollback;
