begin;
select plan(3);

-- SETUP
select tests.seed();
select tests.publish_spec(tests.workspace_id(), 'etl', '2', jsonb_build_object('pool', tests.pool(), 'v', 2));
select tests.publish_spec(tests.workspace_id(), 'report', '1', jsonb_build_object('pool', tests.pool()));
select public.set_spec_limits(tests.workspace_id(), 'etl', 2);
select public.set_pool_limits(tests.workspace_id(), tests.pool(), 3);
select tests.submit_run(tests.workspace_id(), 'etl', 5, now() - interval '5 minutes');
select r.id from public.submit_run(
    tests.workspace_id(), spec_name => 'etl', spec_version => '1', priority => 5, as_of => now() - interval '4 minutes'
) as r;
select tests.submit_run(tests.workspace_id(), 'etl', 5, now() - interval '3 minutes');
select tests.submit_run(tests.workspace_id(), 'report', 0, now() - interval '2 minutes');
select tests.submit_run(tests.workspace_id(), 'report', 0, now() - interval '1 minute');
select tests.executor() as executor_id \gset

-- TEST: the pipeline cap counts every version; the pool cap stops the rest
select results_eq(
    format($$ select c.spec_name, c.spec_version from public.claim_runs(%L, 10) as c $$, :'executor_id'),
    $$ values ('etl'::text, '2'::text), ('etl'::text, '1'::text), ('report'::text, '1'::text) $$,
    'two etl runs (versions 2 and 1) and one report run: pipeline cap 2, pool cap 3'
);
select is(
    (select pg_catalog.count(*)::integer from public.claim_runs(:'executor_id', 10)),
    0,
    'at the pool cap nothing more is claimed'
);

-- TEST: a cap of 0 holds the pipeline's runs back
select tests.reset_role();
select public.set_pool_limits(tests.workspace_id(), tests.pool(), null);
select public.set_spec_limits(tests.workspace_id(), 'report', 0);
select tests.authenticate_as_executor(tests.pool(), null, null);
select is(
    (select pg_catalog.count(*)::integer from public.claim_runs(:'executor_id', 10)),
    0,
    'with the pool cap removed, etl is at its cap and report capped at 0: nothing is claimed'
);

select * from finish();
rollback;
