begin;
select plan(3);

-- SETUP
select tests.seed();
select * from tests.claimed_attempt(now() - interval '10 minutes') \gset

-- TEST: a live lease gets continue and a new expiry
select results_eq(
    format(
        $$
        select h.directive, h.lease_expires_at
        from public.heartbeat(%L, jsonb_build_array(%L)) as h
        $$,
        :'executor_id', :'lease'
    ),
    $$ values ('continue'::text, now() + interval '15 minutes') $$,
    'a live lease gets continue and a new expiry of now + tolerance'
);

-- TEST: the heartbeat and the executor's last sight are stored
select tests.reset_role();
select is((tests.attempt(:'lease')).heartbeat_at, now(), 'the heartbeat time is stored');
select cmp_ok(
    (select x.last_seen_at from public.executors as x where x.id = :'executor_id'),
    '=', now(), 'the executor was seen'
);

select * from finish();
rollback;
