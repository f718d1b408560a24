begin;
select plan(6);

-- A zombie: attempt 1 goes stale and is requeued; attempt 2 completes; attempt 1 wakes up.
select tests.seed();
select set_config('t.run', tests.submit_run(tests.workspace_id(), 'etl', 0, now() - interval '2 hours')::text, true);
select set_config('t.executor', tests.executor(tests.workspace_id())::text, true);
select set_config('t.zombie', tests.claim(current_setting('t.executor')::uuid, now() - interval '1 hour')::text, true);
select public.start_run(current_setting('t.zombie')::uuid, now() - interval '1 hour');
select tests.reset_role();
select public.requeue_stale_runs();
select tests.authenticate_as_executor(tests.pool(), tests.workspace_id());
select set_config('t.lease', tests.claim(current_setting('t.executor')::uuid, now() + interval '1 minute')::text, true);
select public.start_run(current_setting('t.lease')::uuid);
select public.complete_run(current_setting('t.lease')::uuid, '{"by": "attempt 2"}');
select tests.reset_role();
select set_config('t.events', (select count(*) from public.run_events where run_events.run_id = current_setting('t.run')::uuid)::text, true);
select tests.authenticate_as_executor(tests.pool(), tests.workspace_id());

select set_config('t.reply', public.complete_run(current_setting('t.zombie')::uuid, '{"by": "zombie"}')::text, true);
select is(current_setting('t.reply')::jsonb ->> 'code', 'PT409', 'the late complete is rejected with PT409');
select is(current_setting('response.status'), '409', 'and HTTP 409');

select tests.reset_role();
select is((tests.run(current_setting('t.run')::uuid)).status, 'succeeded', 'the run outcome is unchanged');
select is((tests.attempt(current_setting('t.zombie')::uuid)).status, 'lost', 'the zombie attempt stays lost');
select is(
    (select count(*)::integer from public.run_events where run_events.run_id = current_setting('t.run')::uuid),
    current_setting('t.events')::integer + 1,
    'exactly one event was added'
);
select results_eq(
    $$
    select e.type, e.attempt_id, e.payload ->> 'rpc'
    from public.run_events as e where e.run_id = current_setting('t.run')::uuid order by e.id desc limit 1
    $$,
    $$ values ('lease.rejected'::text, (tests.attempt(current_setting('t.zombie')::uuid)).id, 'complete_run'::text) $$,
    'it is the rejection, tied to the zombie attempt'
);

select * from finish();
rollback;
