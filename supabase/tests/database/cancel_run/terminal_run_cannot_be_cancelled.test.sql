begin;
select plan(1);

select tests.seed();
select set_config('t.run', tests.submit_run(tests.workspace_id(), 'etl')::text, true);
select set_config('t.lease', tests.claim(tests.executor(tests.workspace_id()))::text, true);
select public.start_run(current_setting('t.lease')::uuid);
select public.complete_run(current_setting('t.lease')::uuid);
select tests.authenticate_as('operator');

select throws_ok(
    $$ select public.cancel_run(current_setting('t.run')::uuid) $$,
    'PT422', null, 'a succeeded run cannot be cancelled'
);

select * from finish();
rollback;
