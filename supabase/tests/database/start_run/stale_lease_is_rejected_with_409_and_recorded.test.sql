begin;
select plan(5);

-- SETUP
select tests.seed();
select * from tests.dead_lease() \gset

-- TEST: a start with the dead lease is rejected with 409
select public.start_run(:'lease') as reply \gset
select is(:'reply'::jsonb ->> 'code', 'PT409', 'the reply carries code PT409');
select is(:'reply'::jsonb ->> 'outcome', 'rejected', 'the outcome is rejected');
select is(current_setting('response.status'), '409', 'PostgREST answers HTTP 409');

-- TEST: the run is untouched and the rejection is recorded
select tests.reset_role();
select is((tests.run(:'run_id')).status, 'queued', 'the run stays queued');
select is(
    (
        select count(*)::integer from public.run_events
        where run_events.run_id = :'run_id' and run_events.type = 'lease.rejected' and run_events.payload ->> 'rpc' = 'start_run'
    ),
    1, 'the rejection is recorded as an event'
);

select * from finish();
rollback;
