begin;
select plan(3);

select tests.seed();
select tests.submit_run(tests.workspace_id(), 'etl', 0, now() - interval '2 hours');
select set_config('t.executor', tests.executor(tests.workspace_id())::text, true);
select set_config('t.lease', tests.claim(current_setting('t.executor')::uuid, now() - interval '10 minutes')::text, true);

select results_eq(
    $$
    select h.directive, h.lease_expires_at
    from public.heartbeat(current_setting('t.executor')::uuid, jsonb_build_array(current_setting('t.lease'))) as h
    $$,
    $$ values ('continue'::text, now() + interval '15 minutes') $$,
    'a live lease gets continue and a new expiry of now + tolerance'
);
select tests.reset_role();
select is((tests.attempt(current_setting('t.lease')::uuid)).heartbeat_at, now(), 'the heartbeat time is stored');
select cmp_ok(
    (select x.last_seen_at from public.executors as x where x.id = current_setting('t.executor')::uuid),
    '=', now(), 'the executor was seen'
);

select * from finish();
rollback;
