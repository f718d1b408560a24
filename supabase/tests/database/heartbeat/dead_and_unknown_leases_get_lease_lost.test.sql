begin;
select plan(2);

-- SETUP
select tests.seed();
select * from tests.dead_lease() \gset

-- TEST: a requeued attempt's lease and an unknown lease are lost, in the order asked
select results_eq(
    format(
        $$
        select h.directive, h.reason
        from public.heartbeat(%L, jsonb_build_array(%L, %L)) as h
        $$,
        :'executor_id', :'lease', gen_random_uuid()
    ),
    $$ values ('lease_lost'::text, 'attempt is lost'::text), ('lease_lost'::text, 'unknown lease'::text) $$,
    'a requeued attempt''s lease and an unknown lease are lost, in the order asked'
);

-- TEST: the heartbeat did not revive the attempt
select tests.reset_role();
select is((tests.attempt(:'lease')).status, 'lost', 'the heartbeat did not revive the attempt');

select * from finish();
rollback;
