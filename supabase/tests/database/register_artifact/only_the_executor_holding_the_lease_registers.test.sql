begin;
select plan(4);

-- SETUP
select tests.seed();
select * from tests.running_attempt() \gset
select format('s3://controlroom-artifacts/%s/%s/1/extract/out.csv', tests.workspace_id(), :'run_id') as uri \gset

-- TEST: no credential but the claiming executor's registers with the lease
select tests.authenticate_as_executor(tests.pool(), tests.workspace_id(), gen_random_uuid());
select throws_ok(
    format($$ select public.register_artifact(%1$L, 'extract', 'out.csv', %2$L, repeat('a', 64), 1) $$, :'lease', :'uri'),
    '42501', null, 'a lease is usable only by the credential that claimed it'
);

select tests.authenticate_as('owner');
select throws_ok(
    format($$ select public.register_artifact(%1$L, 'extract', 'out.csv', %2$L, repeat('a', 64), 1) $$, :'lease', :'uri'),
    '42501', null, 'users, even owners, cannot register artifacts'
);

select tests.authenticate_as_service_role();
select throws_ok(
    format($$ select public.register_artifact(%1$L, 'extract', 'out.csv', %2$L, repeat('a', 64), 1) $$, :'lease', :'uri'),
    '42501', null, 'the service role cannot register artifacts'
);

select tests.clear_authentication();
select throws_ok(
    format($$ select public.register_artifact(%1$L, 'extract', 'out.csv', %2$L, repeat('a', 64), 1) $$, :'lease', :'uri'),
    '42501', null, 'anon cannot register artifacts'
);

select * from finish();
rollback;
