begin;
select plan(1);

-- SETUP
select tests.seed('{"caps": {"max_duration_seconds": 60}}');
select * from tests.claimed_attempt(now() - interval '2 minutes') \gset

-- TEST: a run past its max duration is told to stop
select results_eq(
    format(
        $$
        select h.directive, h.reason
        from public.heartbeat(%L, jsonb_build_array(%L)) as h
        $$,
        :'executor_id', :'lease'
    ),
    $$ values ('cancel'::text, 'max run duration exceeded'::text) $$,
    'a run past its max duration is told to stop'
);

select * from finish();
rollback;
