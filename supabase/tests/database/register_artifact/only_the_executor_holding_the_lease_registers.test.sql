begin;
select plan(4);

select tests.seed();
select set_config('t.run', tests.submit_run(tests.workspace_id(), 'etl')::text, true);
select set_config('t.lease', tests.claim(tests.executor(tests.workspace_id()))::text, true);
select public.start_run(current_setting('t.lease')::uuid);
select set_config(
    't.uri', format('s3://controlroom-artifacts/%s/%s/1/extract/out.csv', tests.workspace_id(), current_setting('t.run')), true
);

select tests.authenticate_as_executor(tests.pool(), tests.workspace_id(), gen_random_uuid());
select throws_ok(
    $$ select public.register_artifact(current_setting('t.lease')::uuid, 'extract', 'out.csv', current_setting('t.uri'), repeat('a', 64), 1) $$,
    '42501', null, 'a lease is usable only by the credential that claimed it'
);

select tests.authenticate_as('owner');
select throws_ok(
    $$ select public.register_artifact(current_setting('t.lease')::uuid, 'extract', 'out.csv', current_setting('t.uri'), repeat('a', 64), 1) $$,
    '42501', null, 'users, even owners, cannot register artifacts'
);

select tests.authenticate_as_service_role();
select throws_ok(
    $$ select public.register_artifact(current_setting('t.lease')::uuid, 'extract', 'out.csv', current_setting('t.uri'), repeat('a', 64), 1) $$,
    '42501', null, 'the service role cannot register artifacts'
);

select tests.clear_authentication();
select throws_ok(
    $$ select public.register_artifact(current_setting('t.lease')::uuid, 'extract', 'out.csv', current_setting('t.uri'), repeat('a', 64), 1) $$,
    '42501', null, 'anon cannot register artifacts'
);

select * from finish();
rollback;
