begin;
select plan(3);

select tests.seed();
select set_config('t.executor', tests.executor()::text, true);

select throws_ok(
    $$ select * from public.heartbeat(current_setting('t.executor')::uuid, '{"a": 1}') $$,
    '22023', null, 'leases must be an array'
);
select throws_ok(
    $$ select * from public.heartbeat(current_setting('t.executor')::uuid, '["not-a-uuid"]') $$,
    '22023', null, 'leases are uuid strings'
);
select throws_ok(
    $$
    select * from public.heartbeat(
        current_setting('t.executor')::uuid,
        (select jsonb_agg(gen_random_uuid()) from generate_series(1, 1001))
    )
    $$,
    'PT413', null, 'at most 1000 leases per heartbeat'
);

select * from finish();
rollback;
