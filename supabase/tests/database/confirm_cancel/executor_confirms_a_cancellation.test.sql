begin;
select plan(3);

-- SETUP
select tests.seed();
select * from tests.running_attempt() \gset
select tests.authenticate_as('operator');
select public.cancel_run(:'run_id', 'wrong params');
select tests.authenticate_as_executor(tests.pool(), tests.workspace_id());

-- TEST: the executor's confirmation cancels the run and closes the attempt
select is(
    (select public.confirm_cancel(:'lease', 'stopped') ->> 'run_status'),
    'cancelled', 'the confirmation cancels the run'
);
select tests.reset_role();
select is((tests.attempt(:'lease')).status, 'cancelled', 'and closes the attempt');
select is(
    (tests.run(:'run_id')).status_reason,
    'cancelled (attempt 1 confirmed: wrong params)', 'the reason carries the request'
);

select * from finish();
rollback;
