begin;
select plan(5);

-- SETUP: five stale leases and two overdue runs in the test's workspace
-- (deadline = first claim + 2.5 h: the runs claimed 3 h ago are overdue, those claimed 2 h ago not)
select tests.seed('{"caps": {"max_duration_seconds": 9000}}');
select count(tests.submit_run(tests.workspace_id(), 'etl', g, now() - interval '4 hours')) from generate_series(1, 7) as g;
select tests.executor(tests.workspace_id()) as executor_id \gset
select count(tests.claim(:'executor_id', now() - interval '3 hours')) from generate_series(1, 2);
select count(tests.claim(:'executor_id', now() - interval '2 hours')) from generate_series(1, 5);
select tests.reset_role();

-- TEST: one batch times out and closes at most max_leases each and asks for another sweep
select is(
    private.sweep_stale_runs(now(), tests.workspace_id(), 2),
    '{"requeued": 2, "failed": 0, "cancelled": 0, "timed_out": 2, "more": true}'::jsonb,
    'a batch of 2 times out 2 overdue runs, closes 2 stale leases and says more'
);
select is(
    (select count(*)::integer from public.run_attempts as a
     where a.workspace_id = tests.workspace_id() and a.status in ('claimed', 'running')),
    3, 'the other leases wait for the next batch'
);

-- TEST: the public sweep loops batches until nothing is left
select is(
    (public.requeue_stale_runs(now(), tests.workspace_id()) ->> 'closed_attempts')::integer,
    3, 'requeue_stale_runs finishes what the batches left'
);
select is(
    private.sweep_stale_runs(now(), tests.workspace_id(), 2) ->> 'more',
    'false', 'an empty sweep says no more'
);
select is(
    (select count(*)::integer from public.run_transitions as t
     inner join public.runs as r on t.run_id = r.id
     where r.workspace_id = tests.workspace_id() and t.actor = 'system:requeue'),
    7, 'every run moved exactly once, audited by the sweep'
);

select * from finish();
rollback;
