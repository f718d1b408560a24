begin;
select plan(4);

-- SETUP
select tests.seed();
select * from tests.claimed_attempt() \gset

-- TEST: start is accepted
select is(
    (select public.start_run(:'lease') ->> 'outcome'),
    'accepted', 'start is accepted'
);

-- TEST: the run and its attempt are running
select tests.reset_role();
select is((tests.run(:'run_id')).status, 'running', 'the run is running');
select is((tests.attempt(:'lease')).status, 'running', 'the attempt is running');
select isnt((tests.attempt(:'lease')).started_at, null, 'the start time is recorded');

select * from finish();
rollback;
