begin;
select plan(6);

-- SETUP
select tests.seed();
select public.set_workspace_limits(tests.workspace_id(), '{"max_queued_runs": 2, "max_priority": 10}');
select tests.authenticate_as('operator');

-- TEST: the workspace's maximum priority is allowed, one above it is refused
select lives_ok(
    $$ select public.submit_run(tests.workspace_id(), 'etl', priority => 10, idempotency_key => 'a') $$,
    'a run at the maximum priority is queued'
);
select throws_ok(
    $$ select public.submit_run(tests.workspace_id(), 'etl', priority => 11) $$,
    '22023',
    'priority 11 is above the workspace''s maximum priority 10',
    'a priority above the maximum is refused'
);

-- TEST: the queue admits up to max_queued_runs, then refuses with PT429
select lives_ok(
    $$ select public.submit_run(tests.workspace_id(), 'etl') $$,
    'the second queued run is admitted'
);
select throws_ok(
    $$ select public.submit_run(tests.workspace_id(), 'etl') $$,
    'PT429',
    null,
    'the third is refused: the queue is full'
);
select lives_ok(
    $$ select public.submit_run(tests.workspace_id(), 'etl', priority => 10, idempotency_key => 'a') $$,
    'a retried submit of a queued run is answered, not refused'
);

-- TEST: other workspaces are not limited by this one's limits
select tests.reset_role();
select lives_ok(
    format($$ select public.submit_run(%L, 'etl', priority => 1000) $$, tests.other_workspace_id()),
    'another workspace keeps its own (absent) limits'
);

select * from finish();
rollback;
