begin;
select plan(6);

-- SETUP
-- A zombie: attempt 1 goes stale and is requeued; attempt 2 completes; attempt 1 wakes up.
select tests.seed();
select * from tests.dead_lease(started => true) \gset zombie_
select tests.claim(:'zombie_executor_id', now() + interval '1 minute') as lease \gset
select public.start_run(:'lease');
select public.complete_run(:'lease', '{"by": "attempt 2"}');
select tests.reset_role();
select count(*) as events_before from public.run_events where run_events.run_id = :'zombie_run_id' \gset
select tests.authenticate_as_executor(tests.pool(), tests.workspace_id());

-- TEST: the late complete is rejected with 409
select public.complete_run(:'zombie_lease', '{"by": "zombie"}') as reply \gset
select is(:'reply'::jsonb ->> 'code', 'PT409', 'the late complete is rejected with PT409');
select is(current_setting('response.status'), '409', 'and HTTP 409');

-- TEST: nothing changes but one rejection event, tied to the zombie attempt
select tests.reset_role();
select is((tests.run(:'zombie_run_id')).status, 'succeeded', 'the run outcome is unchanged');
select is((tests.attempt(:'zombie_lease')).status, 'lost', 'the zombie attempt stays lost');
select is(
    (select count(*)::integer from public.run_events where run_events.run_id = :'zombie_run_id'),
    :'events_before'::integer + 1,
    'exactly one event was added'
);
select results_eq(
    format(
        $$
        select e.type, e.attempt_id, e.payload ->> 'rpc'
        from public.run_events as e where e.run_id = %L order by e.id desc limit 1
        $$,
        :'zombie_run_id'
    ),
    format($$ values ('lease.rejected'::text, %L::uuid, 'complete_run'::text) $$, :'zombie_attempt_id'),
    'it is the rejection, tied to the zombie attempt'
);

select * from finish();
rollback;
