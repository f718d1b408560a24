begin;
select plan(4);

-- SETUP
select tests.seed();
select tests.authenticate_as_executor(tests.pool(), tests.workspace_id());
select x.id as executor_id
from public.register_executor(labels => '{"gpu": "a100"}', version => '0.1.0', host => 'pod-1') as x \gset
select tests.reset_role();

-- TEST: pool, workspace and sub come from the token, labels from the call
select results_eq(
    format(
        $$
        select x.pool, x.workspace_id, x.labels, x.token_sub, x.status
        from public.executors as x where x.id = %L
        $$,
        :'executor_id'
    ),
    $$
    values (tests.pool(), tests.workspace_id(), '{"gpu": "a100"}'::jsonb,
        tests.executor_sub(tests.pool(), tests.workspace_id()), 'active'::text)
    $$,
    'pool, workspace and sub come from the token; labels from the call'
);

-- TEST: a token registers only for its own pool, with string labels, and acts only as its own executors
select tests.authenticate_as_executor(tests.pool());
select throws_ok(
    $$ select public.register_executor(pool => 'another-pool') $$,
    '42501', null, 'a token registers only for its own pool'
);
select throws_ok(
    $$ select public.register_executor(labels => '{"gpu": 1}') $$,
    '22023', 'labels must be an object of strings', 'labels are strings'
);
select throws_ok(
    format($$ select public.claim_runs(%L) $$, :'executor_id'),
    '42501', null, 'another credential cannot act as a registered executor'
);

select * from finish();
rollback;
