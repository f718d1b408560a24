begin;
select plan(4);

select tests.seed();
select tests.submit_run(tests.workspace_id(), 'etl');
select set_config('t.executor', tests.executor(tests.workspace_id())::text, true);
select set_config(
    't.lease',
    (select c.lease_token::text from public.claim_runs(current_setting('t.executor')::uuid, 1, start => true) as c),
    true
);

-- Another credential with its own registered executor may not complete this lease.
select tests.authenticate_as_executor(tests.pool(), tests.workspace_id(), gen_random_uuid());
select set_config('t.other', (select x.id::text from public.register_executor() as x), true);
select throws_ok(
    $$
    select * from public.complete_runs(
        current_setting('t.other')::uuid, jsonb_build_array(jsonb_build_object('lease', current_setting('t.lease')))
    )
    $$,
    '42501', 'a lease belongs to another executor credential', 'a lease is usable only by its credential'
);
select throws_ok(
    $$ select * from public.complete_runs(current_setting('t.executor')::uuid, '[]') $$,
    '42501', null, 'nor is another credential''s executor id'
);

select tests.authenticate_as('owner');
select throws_ok(
    $$ select * from public.complete_runs(current_setting('t.executor')::uuid, '[]') $$,
    '42501', null, 'users cannot call executor RPCs'
);

select tests.reset_role();
select is((tests.attempt(current_setting('t.lease')::uuid)).status, 'running', 'the attempt is still running');

select * from finish();
rollback;
