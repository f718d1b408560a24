begin;
select plan(1);

select tests.seed('{"caps": {"max_duration_seconds": 60}}');
select tests.submit_run(tests.workspace_id(), 'etl', 0, now() - interval '2 hours');
select set_config('t.executor', tests.executor(tests.workspace_id())::text, true);
select set_config('t.lease', tests.claim(current_setting('t.executor')::uuid, now() - interval '2 minutes')::text, true);

select results_eq(
    $$
    select h.directive, h.reason
    from public.heartbeat(current_setting('t.executor')::uuid, jsonb_build_array(current_setting('t.lease'))) as h
    $$,
    $$ values ('cancel'::text, 'max run duration exceeded'::text) $$,
    'a run past its max duration is told to stop'
);

select * from finish();
rollback;
