begin;
select plan(3);

select tests.seed();
select set_config('t.run', tests.submit_run(tests.workspace_id(), 'etl')::text, true);
select set_config('t.lease', tests.claim(tests.executor(tests.workspace_id()))::text, true);
select public.start_run(current_setting('t.lease')::uuid);
select tests.authenticate_as('operator');
select public.cancel_run(current_setting('t.run')::uuid, 'wrong params');
select tests.authenticate_as_executor(tests.pool(), tests.workspace_id());

select is(
    (select public.confirm_cancel(current_setting('t.lease')::uuid, 'stopped') ->> 'run_status'),
    'cancelled', 'the confirmation cancels the run'
);
select tests.reset_role();
select is((tests.attempt(current_setting('t.lease')::uuid)).status, 'cancelled', 'and closes the attempt');
select is(
    (tests.run(current_setting('t.run')::uuid)).status_reason,
    'cancelled (attempt 1 confirmed: wrong params)', 'the reason carries the request'
);

select * from finish();
rollback;
