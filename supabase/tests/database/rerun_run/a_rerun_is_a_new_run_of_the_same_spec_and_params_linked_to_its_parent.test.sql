begin;
select plan(6);

-- SETUP
select tests.seed('{"params": {"type": "object", "properties": {"day": {"type": "string", "default": "2026-11-01"}}}}');
select (public.submit_run(
    workspace_id => tests.workspace_id(), spec_name => 'etl', params => '{"day": "2026-11-29"}',
    priority => 5, idempotency_key => 'nightly-2026-11-29'
)).id as run_id \gset

-- TEST: an operator reruns it: same spec version, params and priority, a new run, a new key scope
select tests.authenticate_as('operator');
select (public.rerun_run(:'run_id')).id as rerun_id \gset
select (public.rerun_run(:'run_id', 'again-1')).id as keyed_id \gset
select tests.reset_role();
select isnt(:'rerun_id'::uuid, :'run_id'::uuid, 'a rerun is a new run (the parent''s key is not reused)');
select results_eq(
    format($$ select r.spec_id, r.params, r.priority, r.idempotency_key from public.runs as r where r.id = %L $$, :'rerun_id'),
    format($$ select r.spec_id, r.params, r.priority, null::text from public.runs as r where r.id = %L $$, :'run_id'),
    'same spec version, params and priority'
);
select results_eq(
    format($$ select l.parent_run_id, l.kind, l.from_phase, l.reused from public.run_lineage as l where l.run_id = %L $$, :'rerun_id'),
    format($$ values (%L::uuid, 'rerun'::text, null::text, '[]'::jsonb) $$, :'run_id'),
    'linked to its parent'
);

-- TEST: the same key answers with the same rerun, once
select tests.authenticate_as('operator');
select is((public.rerun_run(:'run_id', 'again-1')).id, :'keyed_id'::uuid, 'a retried call answers with its run');
select tests.reset_role();
select is(
    (select count(*)::integer from public.run_lineage as l where l.parent_run_id = :'run_id'), 2,
    'two children, one row each'
);

-- TEST: lineage is write-once
select throws_ok(
    format($$ update public.run_lineage set kind = 'repair' where run_id = %L $$, :'rerun_id'),
    '42501', null, 'lineage rows cannot be changed'
);

select * from finish();
rollback;
