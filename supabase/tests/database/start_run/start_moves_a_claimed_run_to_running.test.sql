begin;
select plan(4);

select tests.seed();
select set_config('t.run', tests.submit_run(tests.workspace_id(), 'etl')::text, true);
select set_config('t.lease', tests.claim(tests.executor(tests.workspace_id()))::text, true);

select is(
    (select public.start_run(current_setting('t.lease')::uuid) ->> 'outcome'),
    'accepted', 'start is accepted'
);
select tests.reset_role();
select is((tests.run(current_setting('t.run')::uuid)).status, 'running', 'the run is running');
select is((tests.attempt(current_setting('t.lease')::uuid)).status, 'running', 'the attempt is running');
select isnt((tests.attempt(current_setting('t.lease')::uuid)).started_at, null, 'the start time is recorded');

select * from finish();
rollback;
