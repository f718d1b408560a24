begin;
select plan(3);

-- SETUP
select tests.seed();
select tests.executor() as executor_id \gset

-- TEST: leases must be an array of at most 1000 uuid strings
select throws_ok(
    format($$ select * from public.heartbeat(%L, '{"a": 1}') $$, :'executor_id'),
    '22023', null, 'leases must be an array'
);
select throws_ok(
    format($$ select * from public.heartbeat(%L, '["not-a-uuid"]') $$, :'executor_id'),
    '22023', null, 'leases are uuid strings'
);
select throws_ok(
    format(
        $$
        select * from public.heartbeat(
            %L,
            (select jsonb_agg(gen_random_uuid()) from generate_series(1, 1001))
        )
        $$,
        :'executor_id'
    ),
    'PT413', null, 'at most 1000 leases per heartbeat'
);

select * from finish();
rollback;
