begin;
select plan(2);

select tests.seed();
select tests.submit_run(tests.workspace_id(), 'etl', 0, now() - interval '2 hours');
select set_config('t.executor', tests.executor(tests.workspace_id())::text, true);
select set_config('t.lease', tests.claim(current_setting('t.executor')::uuid, now() - interval '1 hour')::text, true);
select tests.reset_role();
select public.requeue_stale_runs();
select tests.authenticate_as_executor(tests.pool(), tests.workspace_id());

select set_config('t.unknown', gen_random_uuid()::text, true);
select results_eq(
    $$
    select h.directive, h.reason
    from public.heartbeat(
        current_setting('t.executor')::uuid,
        jsonb_build_array(current_setting('t.lease'), current_setting('t.unknown'))
    ) as h
    $$,
    $$ values ('lease_lost'::text, 'attempt is lost'::text), ('lease_lost'::text, 'unknown lease'::text) $$,
    'a requeued attempt''s lease and an unknown lease are lost, in the order asked'
);
select tests.reset_role();
select is((tests.attempt(current_setting('t.lease')::uuid)).status, 'lost', 'the heartbeat did not revive the attempt');

select * from finish();
rollback;
