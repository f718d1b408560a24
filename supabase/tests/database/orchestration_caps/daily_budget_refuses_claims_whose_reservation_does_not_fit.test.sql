begin;
select plan(5);

-- SETUP
-- The budget day is UTC; every call acts at noon of one day. Runs of etl@1 reserve 1,000 s (its
-- max run duration); the pool's cost rate is 2, so each claim needs 2,000 weighted seconds.
select tests.seed('{"caps": {"max_duration_seconds": 1000}}');
select public.set_workspace_limits(tests.workspace_id(), '{"daily_budget_seconds": 5000}');
select public.set_pool_limits(tests.workspace_id(), tests.pool(), null, 2);
select tests.submit_run(tests.workspace_id(), 'etl', 0, '2026-11-02 11:00+00');
select tests.submit_run(tests.workspace_id(), 'etl', 0, '2026-11-02 11:01+00');
select tests.submit_run(tests.workspace_id(), 'etl', 0, '2026-11-02 11:02+00');
select tests.executor() as executor_id \gset

-- TEST: two reservations of 2,000 fit in 5,000, a third does not
select is(
    (select pg_catalog.count(*)::integer
        from public.claim_runs(:'executor_id', 10, as_of => '2026-11-02 12:00+00', start => true)),
    2,
    'two claims fit the budget (2 x 1,000 s x rate 2 = 4,000 of 5,000)'
);

select tests.reset_role();
select is(
    (select b.budget_seconds - b.committed_seconds
        from private.workspace_budget(tests.workspace_id(), '2026-11-02 12:00+00') as b),
    1000::double precision,
    'the live attempts are charged their reservation: 1,000 left'
);

-- TEST: usage is charged from started_at/finished_at once the runs finish
select pg_catalog.string_agg(a.lease_token::text, ',') as leases
from public.run_attempts as a where a.workspace_id = tests.workspace_id() \gset
select tests.authenticate_as_executor(tests.pool(), null, null);
select public.complete_run(l.lease::uuid, '{}'::jsonb, '2026-11-02 12:05+00')
from pg_catalog.unnest(pg_catalog.string_to_array(:'leases', ',')) as l (lease);
select tests.reset_role();
select is(
    (select b.committed_seconds from private.workspace_budget(tests.workspace_id(), '2026-11-02 12:10+00') as b),
    1200::double precision,
    'two runs of 300 s at rate 2 cost 1,200'
);
select tests.authenticate_as_executor(tests.pool(), null, null);
select is(
    (select pg_catalog.count(*)::integer
        from public.claim_runs(:'executor_id', 10, as_of => '2026-11-02 12:10+00')),
    1,
    'with the finished runs charged their real time, the third run fits'
);

-- TEST: a budget spent is a new day's budget after midnight in the budget's time zone
select tests.reset_role();
select public.set_workspace_limits(tests.workspace_id(), '{"daily_budget_seconds": 0}');
select is(
    (select b.resets_at from private.workspace_budget(tests.workspace_id(), '2026-11-02 12:10+00') as b),
    '2026-11-03 00:00+00'::timestamptz,
    'the budget day resets at midnight UTC'
);

select * from finish();
rollback;
