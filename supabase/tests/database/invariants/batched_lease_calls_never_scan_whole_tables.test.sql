begin;
select plan(2);

-- TEST: the batched lease calls plan index lookups only
-- Their plans are cached per pooled connection, often first made while the queue tables are
-- nearly empty: without this setting they keep sequential scans as the tables grow.
select ok(
    (select 'enable_seqscan=off' = any(p.proconfig) from pg_catalog.pg_proc as p
        where p.oid = 'public.claim_runs(uuid, integer, text, jsonb, timestamptz, boolean)'::regprocedure),
    'claim_runs plans index lookups only'
);
select ok(
    (select 'enable_seqscan=off' = any(p.proconfig) from pg_catalog.pg_proc as p
        where p.oid = 'public.complete_runs(uuid, jsonb, timestamptz)'::regprocedure),
    'complete_runs plans index lookups only'
);

select * from finish();
rollback;
