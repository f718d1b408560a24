begin;
select plan(4);

-- SETUP
-- Two workspaces share one pool. A floods it with 1,000 priority-10 runs at 10:00; a shared
-- executor runs 20 of them for five minutes each; the tick at 10:07 charges A's usage; B submits
-- 10 priority-0 runs at 10:08.
select tests.seed();
select pg_catalog.count(*) from (
    select tests.submit_run(tests.workspace_id(), 'etl', 10, '2026-11-02 10:00+00') from generate_series(1, 1000)
) as a;
select tests.executor() as executor_id \gset
select pg_catalog.count(done.reply)
from public.claim_runs(:'executor_id', 20, as_of => '2026-11-02 10:01+00', start => true) as c
cross join lateral public.complete_run(c.lease_token, null, '2026-11-02 10:06+00') as done (reply);
select tests.reset_role();
select public.refresh_scores(tests.pool(), 10000, '2026-11-02 10:07+00');
select pg_catalog.count(*) from (
    select tests.submit_run(tests.other_workspace_id(), 'etl', 0, '2026-11-02 10:08+00') from generate_series(1, 10)
) as b;
select r.id as a_run from public.runs as r
where r.workspace_id = tests.workspace_id() and r.status = 'queued' order by r.id limit 1 \gset
select r.id as b_run from public.runs as r
where r.workspace_id = tests.other_workspace_id() and r.status = 'queued' order by r.id limit 1 \gset

-- TEST: B's ten runs are claimed next, while A's queue still holds 980
select tests.authenticate_as_executor(tests.pool(), null, null);
select is(
    (select pg_catalog.count(*)::integer from public.claim_runs(:'executor_id', 10, as_of => '2026-11-02 10:09+00') as c
        where c.workspace_id = tests.other_workspace_id()),
    10,
    'the next ten claims are all B''s runs'
);
select tests.reset_role();
select is(
    (select pg_catalog.count(*)::integer from public.runs as r
        where r.workspace_id = tests.workspace_id() and r.status = 'queued'),
    980,
    'A''s queue has not drained'
);

-- TEST: explain_score shows why: fair share, against A's higher priority
select ok(
    (select b.contribution - a.contribution
        from public.explain_score(:'b_run', '2026-11-02 10:08+00') as b
        cross join public.explain_score(:'a_run', '2026-11-02 10:08+00') as a
        where a.factor = 'fair_share' and b.factor = 'fair_share') >= 400,
    'B''s fair-share contribution is far above A''s (A used the pool, B did not)'
);
select ok(
    (select a.contribution > b.contribution
        from public.explain_score(:'b_run', '2026-11-02 10:08+00') as b
        cross join public.explain_score(:'a_run', '2026-11-02 10:08+00') as a
        where a.factor = 'priority' and b.factor = 'priority'),
    'while A''s priority contribution is the higher one'
);

select * from finish();
rollback;
