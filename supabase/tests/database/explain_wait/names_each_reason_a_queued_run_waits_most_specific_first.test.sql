begin;
select plan(9);

-- SETUP
select tests.seed('{"labels": {"gpu": "a100"}}');
select tests.submit_run(tests.workspace_id(), 'etl', 0, now() - interval '3 minutes') as first_run \gset
select tests.submit_run(tests.workspace_id(), 'etl', 0, now() - interval '2 minutes') as run_id \gset

-- TEST: no executor in the pool
select is(
    (select w.reason from public.explain_wait(:'run_id') as w order by w.rank limit 1),
    'no_live_executor',
    'without a live executor in the pool, that is the first reason'
);

-- TEST: executors without the labels: which labels are missing
select tests.executor(null, '{"gpu": "t4"}');
select tests.reset_role();
select is(
    (select w.details -> 'missing_labels' from public.explain_wait(:'run_id') as w where w.reason = 'labels_missing'),
    '{"gpu": "a100"}'::jsonb,
    'a live executor without the required label: the missing labels are named'
);

-- TEST: next in line, with its rank
select tests.executor(null, '{"gpu": "a100"}', gen_random_uuid());
select tests.reset_role();
select is(
    (select w.reason from public.explain_wait(:'run_id') as w order by w.rank limit 1),
    'next_in_line',
    'with a capable executor the run is admitted'
);
select is(
    (select (w.details ->> 'rank')::integer from public.explain_wait(:'run_id') as w where w.reason = 'next_in_line'),
    2,
    'one run is ahead of it in the pool'
);

-- TEST: caps full, budget spent, backoff
select public.set_workspace_limits(tests.workspace_id(), '{"max_concurrent_runs": 0}');
select public.set_pool_limits(tests.workspace_id(), tests.pool(), 0);
select public.set_spec_limits(tests.workspace_id(), 'etl', 0);
select results_eq(
    format($$ select w.reason from public.explain_wait(%L) as w where w.rank between 3 and 5 order by w.rank $$, :'run_id'),
    $$ values ('workspace_cap_full'::text), ('pool_cap_full'::text), ('spec_cap_full'::text) $$,
    'each full concurrency cap is named'
);
select public.set_workspace_limits(tests.workspace_id(), '{"daily_budget_seconds": 10}');
select is(
    (select w.details ->> 'limit' from public.explain_wait(:'run_id') as w where w.reason = 'budget_exhausted'),
    '10',
    'a budget too small for the run''s reservation is named with its limit'
);
select is(
    (select w.reason from public.explain_wait(:'run_id', now() - interval '2 hours') as w where w.reason = 'retry_backoff'),
    'retry_backoff',
    'before not_before the run is in backoff'
);

-- TEST: callers outside the workspace see nothing; a non-queued run says so
select tests.authenticate_as('outsider');
select throws_ok(
    format($$ select * from public.explain_wait(%L) $$, :'run_id'),
    'PT404', null, 'an outsider gets not found'
);
select tests.reset_role();
select public.cancel_run(:'first_run', 'test');
select is(
    (select w.reason from public.explain_wait(:'first_run') as w),
    'not_queued',
    'a cancelled run is not waiting'
);

select * from finish();
rollback;
