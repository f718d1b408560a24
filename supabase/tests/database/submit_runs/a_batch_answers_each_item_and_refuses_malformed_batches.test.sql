begin;
select plan(9);

-- SETUP
select tests.seed();
select public.set_workspace_limits(tests.workspace_id(), '{"max_queued_runs": 3, "max_priority": 100}');
select tests.authenticate_as('operator');

-- TEST: per item: accepted, over the maximum priority, past the queue cap
select results_eq(
    $$ select a.item, a.outcome, a.code from public.submit_runs(tests.workspace_id(), '[
        {"spec_name": "etl", "idempotency_key": "k1"},
        {"spec_name": "etl", "priority": 101},
        {"spec_name": "etl", "idempotency_key": "k2"},
        {"spec_name": "etl"},
        {"spec_name": "etl", "idempotency_key": "k4"}
    ]') as a $$,
    $$ values (0, 'accepted'::text, null::text), (1, 'rejected', '22023'), (2, 'accepted', null),
        (3, 'accepted', null), (4, 'rejected', 'PT429') $$,
    'three runs fit the queue cap; the priority above the maximum and the fourth new run are refused'
);

-- TEST: a retried batch answers duplicate for the queued runs, a changed request is a conflict
select results_eq(
    $$ select a.outcome, a.code from public.submit_runs(tests.workspace_id(), '[
        {"spec_name": "etl", "idempotency_key": "k1"},
        {"spec_name": "etl", "idempotency_key": "k2", "priority": 5}
    ]') as a order by a.item $$,
    $$ values ('duplicate'::text, null::text), ('rejected', '23505') $$,
    'the same request is a duplicate, a different one under the key a conflict'
);
select is(
    (select pg_catalog.count(*)::integer from public.runs as r where r.workspace_id = tests.workspace_id()),
    3,
    'only the accepted runs were stored'
);

-- TEST: malformed batches fail whole and change nothing
select throws_ok(
    $$ select * from public.submit_runs(tests.workspace_id(), '[{"spec_name": "etl"}, {"spec": "etl"}]') $$,
    '22023', 'items[1].has an unknown key spec', 'an unknown key names the item'
);
select throws_ok(
    $$ select * from public.submit_runs(tests.workspace_id(), '[{"spec_name": "etl", "params": []}]') $$,
    '22023', 'items[0].params must be a JSON object', 'params must be an object'
);
select throws_ok(
    $$ select * from public.submit_runs(tests.workspace_id(),
        '[{"spec_name": "etl", "idempotency_key": "a"}, {"spec_name": "etl", "idempotency_key": "a"}]') $$,
    '22023', 'items[1].idempotency_key repeats the key of items[0]', 'a key repeated in the batch is refused'
);
select throws_ok(
    $$ select * from public.submit_runs(tests.workspace_id(),
        (select jsonb_agg(jsonb_build_object('spec_name', 'etl')) from generate_series(1, 1001))) $$,
    'PT413', 'at most 1000 items per call, got 1001', 'more than 1000 items are refused'
);

-- TEST: viewers and outsiders cannot submit batches
select tests.authenticate_as('viewer');
select throws_ok(
    $$ select * from public.submit_runs(tests.workspace_id(), '[{"spec_name": "etl"}]') $$,
    '42501', null, 'a viewer cannot submit'
);
select tests.clear_authentication();
select throws_ok(
    $$ select * from public.submit_runs(tests.workspace_id(), '[{"spec_name": "etl"}]') $$,
    '42501', null, 'anon cannot submit'
);

select * from finish();
rollback;
