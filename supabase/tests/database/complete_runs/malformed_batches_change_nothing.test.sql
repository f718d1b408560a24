begin;
select plan(12);

-- SETUP
select tests.seed();
select tests.submit_run(tests.workspace_id(), 'etl');
select tests.executor(tests.workspace_id()) as executor_id \gset
select c.lease_token as lease from public.claim_runs(:'executor_id', 1, start => true) as c \gset

-- TEST: malformed items are refused as a whole
select throws_ok(
    format($$ select * from public.complete_runs(%L, '{}') $$, :'executor_id'),
    '22023', 'items must be a JSON array', 'items come as an array'
);
select throws_ok(
    format($$ select * from public.complete_runs(%L, '[1]') $$, :'executor_id'),
    '22023', 'items[0] is not an object', 'an item is an object'
);
select throws_ok(
    format($$ select * from public.complete_runs(%L, '[{"lease": "nope"}]') $$, :'executor_id'),
    '22023', 'items[0] lease must be a lease token (uuid string)', 'a lease is a uuid'
);
select throws_ok(
    format($$ select * from public.complete_runs(%L::uuid, '[{"lease": %s, "result": [1]}]') $$,
        :'executor_id', to_jsonb(:'lease'::text)),
    '22023', 'items[0] result must be a JSON object', 'a result is an object'
);
select throws_ok(
    format($$ select * from public.complete_runs(%L::uuid, '[{"lease": %s, "events": {}}]') $$,
        :'executor_id', to_jsonb(:'lease'::text)),
    '22023', 'items[0] events must be a JSON array', 'events come as an array'
);
select throws_ok(
    format($$ select * from public.complete_runs(%L::uuid, '[{"lease": %s}, {"lease": %s}]') $$,
        :'executor_id', to_jsonb(:'lease'::text), to_jsonb(:'lease'::text)),
    '22023', 'items[1] repeats the lease of an earlier item', 'a lease appears once'
);
select throws_ok(
    format($$ select * from public.complete_runs(%L::uuid, '[{"lease": %s, "events": [{"type": "log"}, {"type": "Bad"}]}]') $$,
        :'executor_id', to_jsonb(:'lease'::text)),
    '22023', 'items[0].events[1] type must be a lower-case dotted name of at most 100 characters',
    'a bad event is named by item and index'
);
select throws_ok(
    format($$ select * from public.complete_runs(%L::uuid, '[{"lease": %s, "events": [{"type": "log", "ts": "2026-13-45T00:00"}]}]') $$,
        :'executor_id', to_jsonb(:'lease'::text)),
    '22023', 'an event has an invalid ts', 'an impossible timestamp is invalid input'
);

-- TEST: oversized batches are refused with 413
select throws_ok(
    format(
        $$
        select * from public.complete_runs(
            %L,
            (select jsonb_agg(jsonb_build_object('lease', gen_random_uuid())) from generate_series(1, 101))
        )
        $$,
        :'executor_id'
    ),
    'PT413', 'at most 100 items per call, got 101', 'a batch has at most 100 items'
);
select throws_ok(
    format(
        $$
        select * from public.complete_runs(
            %L,
            jsonb_build_array(jsonb_build_object(
                'lease', %L,
                'events', (select jsonb_agg(jsonb_build_object('type', 'log')) from generate_series(1, 1001))
            ))
        )
        $$,
        :'executor_id', :'lease'
    ),
    'PT413', 'at most 1000 events per call, got 1001', 'a batch carries at most 1000 events'
);

-- TEST: the attempt is untouched
select tests.reset_role();
select is((tests.attempt(:'lease')).status, 'running', 'the attempt is still running');
select is(
    (select count(*)::integer from public.run_events as e
    where e.attempt_id = (tests.attempt(:'lease')).id),
    0, 'and has no events'
);

select * from finish();
rollback;
