begin;
select plan(2);

-- SETUP
select tests.seed();
select * from tests.claimed_attempt() \gset

-- TEST: more than 1000 events is too large, 1000 is fine
select throws_ok(
    format(
        $$
        select public.emit_events(
            %L,
            (select jsonb_agg(jsonb_build_object('type', 'log', 'seq', g)) from generate_series(1, 1001) as g)
        )
        $$,
        :'lease'
    ),
    'PT413', 'at most 1000 events per call, got 1001', 'more than 1000 events is payload too large'
);
select lives_ok(
    format(
        $$
        select public.emit_events(
            %L,
            (select jsonb_agg(jsonb_build_object('type', 'log', 'seq', g)) from generate_series(1, 1000) as g)
        )
        $$,
        :'lease'
    ),
    '1000 events are accepted'
);

select * from finish();
rollback;
