begin;
select plan(2);

select tests.seed();
select tests.submit_run(tests.workspace_id(), 'etl');
select set_config('t.lease', tests.claim(tests.executor(tests.workspace_id()))::text, true);

select tests.authenticate_as_executor(tests.pool(), tests.workspace_id(), gen_random_uuid());
select throws_ok(
    $$ select public.start_run(current_setting('t.lease')::uuid) $$,
    '42501', null, 'a lease is usable only by the credential that claimed it'
);

select tests.authenticate_as('owner');
select throws_ok(
    $$ select public.start_run(current_setting('t.lease')::uuid) $$,
    '42501', null, 'users cannot call executor RPCs'
);

select * from finish();
rollback;
