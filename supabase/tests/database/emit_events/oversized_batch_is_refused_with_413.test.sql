begin;
select plan(2);

select tests.seed();
select set_config('t.run', tests.submit_run(tests.workspace_id(), 'etl')::text, true);
select set_config('t.lease', tests.claim(tests.executor(tests.workspace_id()))::text, true);

select throws_ok(
    $$
    select public.emit_events(
        current_setting('t.lease')::uuid,
        (select jsonb_agg(jsonb_build_object('type', 'log', 'seq', g)) from generate_series(1, 1001) as g)
    )
    $$,
    'PT413', 'at most 1000 events per call, got 1001', 'more than 1000 events is payload too large'
);
select lives_ok(
    $$
    select public.emit_events(
        current_setting('t.lease')::uuid,
        (select jsonb_agg(jsonb_build_object('type', 'log', 'seq', g)) from generate_series(1, 1000) as g)
    )
    $$,
    '1000 events are accepted'
);

select * from finish();
rollback;
