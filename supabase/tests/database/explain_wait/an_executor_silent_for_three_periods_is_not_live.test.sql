begin;
select plan(3);

-- SETUP: one executor with the default 10 s period, then a queued run
select tests.seed();
select tests.executor() as executor_id \gset
select tests.reset_role();
select tests.submit_run(tests.workspace_id(), 'etl') as run_id \gset
select tests.reset_role();

-- TEST: seen 20 s ago (late, not lost): still live, the run is next in line
update public.executors set last_seen_at = now() - interval '20 seconds' where id = :'executor_id';
select is(
    (select w.reason from public.explain_wait(:'run_id') as w order by w.rank limit 1),
    'next_in_line',
    'an executor one beat late is still live'
);

-- TEST: silent for 31 s (three periods): the kill -9'd worker no longer counts (was live for 15 minutes)
update public.executors set last_seen_at = now() - interval '31 seconds' where id = :'executor_id';
select is(
    (select w.reason from public.explain_wait(:'run_id') as w order by w.rank limit 1),
    'no_live_executor',
    'an executor silent for three periods is not live'
);

-- TEST: the same rule as executor_health
select is(
    (select h.health from public.executor_health as h where h.executor_id = :'executor_id'),
    'lost',
    'executor_health calls it lost'
);

select * from finish();
rollback;
