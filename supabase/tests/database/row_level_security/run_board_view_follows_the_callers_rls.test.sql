begin;
select plan(8);

-- SETUP
select tests.seed();
select tests.seed_activity();

-- TEST: anon and executors cannot read run_board
select tests.clear_authentication();
select throws_ok(
    $$ select count(*)::integer from public.run_board where workspace_id = tests.workspace_id() $$,
    '42501', null,
    'anon cannot read run_board'
);

select tests.authenticate_as_executor(tests.pool(), tests.workspace_id());
select throws_ok(
    $$ select count(*)::integer from public.run_board where workspace_id = tests.workspace_id() $$,
    '42501', null,
    'an executor cannot read run_board directly'
);

-- TEST: users see the run_board of their own workspaces only
select tests.authenticate_as('outsider');
select is(
    (select count(*)::integer from public.run_board where run_board.workspace_id = tests.workspace_id()), 0,
    'an unrelated user sees none of the workspace''s run_board'
);
select is(
    (select count(*)::integer from public.run_board where run_board.workspace_id = tests.other_workspace_id()), 1,
    'the unrelated user sees those of their own workspace'
);

select tests.authenticate_as('viewer');
select is((select count(*)::integer from public.run_board where run_board.workspace_id = tests.workspace_id()), 1, 'a viewer sees the workspace''s run_board');
select is((select count(*)::integer from public.run_board where run_board.workspace_id = tests.other_workspace_id()), 0, 'a viewer sees nothing of another workspace');

select tests.authenticate_as('operator');
select is((select count(*)::integer from public.run_board where run_board.workspace_id = tests.workspace_id()), 1, 'an operator sees the workspace''s run_board');

-- TEST: the service role sees every workspace's run_board
select tests.authenticate_as_service_role();
select is((select count(*)::integer from public.run_board where run_board.workspace_id = tests.workspace_id()) + (select count(*)::integer from public.run_board where run_board.workspace_id = tests.other_workspace_id()), 2, 'the service role sees every workspace''s run_board');

select * from finish();
rollback;
