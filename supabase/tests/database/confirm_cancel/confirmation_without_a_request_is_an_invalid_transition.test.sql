begin;
select plan(1);

select tests.seed();
select tests.submit_run(tests.workspace_id(), 'etl');
select set_config('t.lease', tests.claim(tests.executor(tests.workspace_id()))::text, true);

select throws_ok(
    $$ select public.confirm_cancel(current_setting('t.lease')::uuid) $$,
    'PT422', null, 'nothing to confirm without a cancellation request'
);

select * from finish();
rollback;
