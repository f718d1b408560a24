begin;
select plan(1);

-- TEST: every run status change goes through the one set-based transition path
select is(
    array(
        select p.oid::pg_catalog.regprocedure::text
        from pg_catalog.pg_proc as p
        inner join pg_catalog.pg_namespace as n on p.pronamespace = n.oid
        where n.nspname in ('public', 'private')
            and p.prosrc ~* 'update\s+public\.runs\M[^;]*\mset\M[^;]*\mstatus\s*='
        order by 1
    ),
    array['private.transition_runs(private.run_change[],timestamp with time zone)'],
    'only private.transition_runs writes runs.status (claims, completions, sweeps and single-run RPCs call it)'
);

select * from finish();
rollback;
