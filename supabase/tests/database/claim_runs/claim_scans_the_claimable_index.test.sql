begin;
select plan(1);

-- SETUP
-- The claim's locking scan, as claim_runs runs it, must walk the partial index of queued runs
-- in claim order (pool, score desc, created_at, id) rather than scan or sort the table.
select tests.seed();
insert into public.runs (workspace_id, spec_id, pool, status_changed_by, status_reason, score, created_at)
select
    s.workspace_id,
    s.id,
    s.pool,
    'service_role' as actor,
    'submitted' as reason,
    g.n % 7 as score,
    now() - g.n * interval '1 second' as created_at
from public.pipeline_specs as s
cross join generate_series(1, 5000) as g (n)
where s.workspace_id = tests.workspace_id();
analyze public.runs;

-- TEST: the claim query is an ordered index scan
select ok(
    (
        select pg_catalog.string_agg(p.line, E'\n') ~ 'Index Scan using runs_claimable_idx'
            and pg_catalog.string_agg(p.line, E'\n') !~ 'Sort'
        from (
            select x.x as line
            from tests.explain($$
                select r.id from public.runs as r
                where r.status = 'queued' and r.pool = tests.pool() and r.not_before <= now()
                  and r.required_labels <@ '{}'::jsonb
                order by r.score desc, r.created_at, r.id
                limit 10
                for update of r skip locked
            $$) as x
        ) as p
    ),
    'the claim query is an ordered index scan of runs_claimable_idx'
);

select * from finish();
rollback;
