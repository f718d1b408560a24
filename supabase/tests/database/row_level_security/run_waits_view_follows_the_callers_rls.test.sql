begin;
select plan(5);

-- SETUP
select tests.seed();
select tests.submit_run(tests.workspace_id(), 'etl') as run_id \gset
select tests.submit_run(tests.other_workspace_id(), 'etl');

-- TEST: anon cannot read run_waits
select tests.clear_authentication();
select throws_ok(
    $$ select count(*)::integer from public.run_waits where workspace_id = tests.workspace_id() $$,
    '42501', null,
    'anon cannot read run_waits'
);

-- TEST: members see their queued runs with a reason; others see nothing
select tests.authenticate_as('outsider');
select is(
    (select count(*)::integer from public.run_waits where run_waits.workspace_id = tests.workspace_id()), 0,
    'an unrelated user sees none of the workspace''s waits'
);
select tests.authenticate_as('viewer');
select is(
    (select w.reason from public.run_waits as w where w.run_id = :'run_id'),
    'no_live_executor',
    'a viewer sees the reason of the workspace''s queued run'
);
select is(
    (select count(*)::integer from public.run_waits where run_waits.workspace_id = tests.other_workspace_id()), 0,
    'a viewer sees nothing of another workspace'
);

select tests.authenticate_as_service_role();
select is(
    (select count(*)::integer from public.run_waits where run_waits.workspace_id = tests.workspace_id()), 1,
    'the service role sees every queued run'
);

select * from finish();
rollback;
