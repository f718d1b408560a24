begin;
select plan(4);

-- SETUP
select tests.seed();
select tests.submit_run(tests.workspace_id(), 'etl');
select tests.executor(tests.workspace_id()) as executor_id \gset
select c.lease_token as lease from public.claim_runs(:'executor_id', 1, start => true) as c \gset

-- TEST: another credential may not use the lease nor the executor id
-- Another credential with its own registered executor may not complete this lease.
select tests.authenticate_as_executor(tests.pool(), tests.workspace_id(), gen_random_uuid());
select x.id as other_executor_id from public.register_executor() as x \gset
select throws_ok(
    format(
        $$
        select * from public.complete_runs(%L, jsonb_build_array(jsonb_build_object('lease', %L)))
        $$,
        :'other_executor_id', :'lease'
    ),
    '42501', 'a lease belongs to another executor credential', 'a lease is usable only by its credential'
);
select throws_ok(
    format($$ select * from public.complete_runs(%L, '[]') $$, :'executor_id'),
    '42501', null, 'nor is another credential''s executor id'
);

-- TEST: users cannot call it
select tests.authenticate_as('owner');
select throws_ok(
    format($$ select * from public.complete_runs(%L, '[]') $$, :'executor_id'),
    '42501', null, 'users cannot call executor RPCs'
);

-- TEST: the attempt is untouched
select tests.reset_role();
select is((tests.attempt(:'lease')).status, 'running', 'the attempt is still running');

select * from finish();
rollback;
