begin;
select plan(12);

select tests.seed();
select tests.submit_run(tests.workspace_id(), 'etl');
select set_config('t.executor', tests.executor(tests.workspace_id())::text, true);
select set_config(
    't.lease',
    (select c.lease_token::text from public.claim_runs(current_setting('t.executor')::uuid, 1, start => true) as c),
    true
);

select throws_ok(
    $$ select * from public.complete_runs(current_setting('t.executor')::uuid, '{}') $$,
    '22023', 'items must be a JSON array', 'items come as an array'
);
select throws_ok(
    $$ select * from public.complete_runs(current_setting('t.executor')::uuid, '[1]') $$,
    '22023', 'items[0] is not an object', 'an item is an object'
);
select throws_ok(
    $$ select * from public.complete_runs(current_setting('t.executor')::uuid, '[{"lease": "nope"}]') $$,
    '22023', 'items[0] lease must be a lease token (uuid string)', 'a lease is a uuid'
);
select throws_ok(
    format($$ select * from public.complete_runs(%L::uuid, '[{"lease": %s, "result": [1]}]') $$,
        current_setting('t.executor'), to_jsonb(current_setting('t.lease'))),
    '22023', 'items[0] result must be a JSON object', 'a result is an object'
);
select throws_ok(
    format($$ select * from public.complete_runs(%L::uuid, '[{"lease": %s, "events": {}}]') $$,
        current_setting('t.executor'), to_jsonb(current_setting('t.lease'))),
    '22023', 'items[0] events must be a JSON array', 'events come as an array'
);
select throws_ok(
    format($$ select * from public.complete_runs(%L::uuid, '[{"lease": %s}, {"lease": %s}]') $$,
        current_setting('t.executor'), to_jsonb(current_setting('t.lease')), to_jsonb(current_setting('t.lease'))),
    '22023', 'items[1] repeats the lease of an earlier item', 'a lease appears once'
);
select throws_ok(
    format($$ select * from public.complete_runs(%L::uuid, '[{"lease": %s, "events": [{"type": "log"}, {"type": "Bad"}]}]') $$,
        current_setting('t.executor'), to_jsonb(current_setting('t.lease'))),
    '22023', 'items[0].events[1] type must be a lower-case dotted name of at most 100 characters',
    'a bad event is named by item and index'
);
select throws_ok(
    format($$ select * from public.complete_runs(%L::uuid, '[{"lease": %s, "events": [{"type": "log", "ts": "2026-13-45T00:00"}]}]') $$,
        current_setting('t.executor'), to_jsonb(current_setting('t.lease'))),
    '22023', 'an event has an invalid ts', 'an impossible timestamp is invalid input'
);
select throws_ok(
    $$
    select * from public.complete_runs(
        current_setting('t.executor')::uuid,
        (select jsonb_agg(jsonb_build_object('lease', gen_random_uuid())) from generate_series(1, 101))
    )
    $$,
    'PT413', 'at most 100 items per call, got 101', 'a batch has at most 100 items'
);
select throws_ok(
    $$
    select * from public.complete_runs(
        current_setting('t.executor')::uuid,
        jsonb_build_array(jsonb_build_object(
            'lease', current_setting('t.lease'),
            'events', (select jsonb_agg(jsonb_build_object('type', 'log')) from generate_series(1, 1001))
        ))
    )
    $$,
    'PT413', 'at most 1000 events per call, got 1001', 'a batch carries at most 1000 events'
);

select tests.reset_role();
select is((tests.attempt(current_setting('t.lease')::uuid)).status, 'running', 'the attempt is still running');
select is(
    (select count(*)::integer from public.run_events as e
    where e.attempt_id = (tests.attempt(current_setting('t.lease')::uuid)).id),
    0, 'and has no events'
);

select * from finish();
rollback;
