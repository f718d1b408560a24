begin;
select plan(7);

-- SETUP
-- etl@1 with three phases; attempt 1 finishes `extract` (its result recorded), then fails in `load`.
select tests.seed('{"retries": {"max_attempts": 1}, "phases": [{"name": "extract"}, {"name": "load"}, {"name": "report"}]}');
select * from tests.running_attempt() \gset
select public.emit_events(:'lease', '[
    {"seq": 1, "type": "phase.started", "phase": "extract"},
    {"seq": 2, "type": "phase.finished", "phase": "extract", "payload": {"status": "succeeded"}},
    {"seq": 3, "type": "phase.started", "phase": "load"},
    {"seq": 4, "type": "phase.finished", "phase": "load", "payload": {"status": "failed"}}
]');
select (public.register_artifact(
    :'lease', 'extract', 'result.json',
    format('s3://controlroom-artifacts/%s/%s/1/extract/result.json', tests.workspace_id(), :'run_id'),
    repeat('b', 64), 42
) ->> 'artifact_id') as extract_artifact \gset
select public.register_artifact(
    :'lease', 'load', 'result.json',
    format('s3://controlroom-artifacts/%s/%s/1/load/result.json', tests.workspace_id(), :'run_id'),
    repeat('c', 64), 7
);
select public.fail_run(:'lease', true, 'ConnectionError', null, null, 'transient', 'load');

-- TEST: an operator repairs the failed run from the phase it failed in (the default)
select tests.authenticate_as('operator');
select (public.repair_run(:'run_id')).id as repair_id \gset
select tests.reset_role();
select isnt(:'repair_id'::uuid, :'run_id'::uuid, 'the repair is a new run');
select results_eq(
    format($$ select r.spec_id, r.params, r.status from public.runs as r where r.id = %L $$, :'repair_id'),
    format($$ select r.spec_id, r.params, 'queued'::text from public.runs as r where r.id = %L $$, :'run_id'),
    'of the same spec version and params, queued'
);
select results_eq(
    format($$ select l.parent_run_id, l.kind, l.from_phase from public.run_lineage as l where l.run_id = %L $$, :'repair_id'),
    format($$ values (%L::uuid, 'repair'::text, 'load'::text) $$, :'run_id'),
    'linked to its parent, from the phase that failed'
);
select results_eq(
    format($$ select r ->> 'phase', (r ->> 'artifact_id')::uuid, (r ->> 'run_id')::uuid, r ->> 'sha256'
        from public.run_lineage as l cross join jsonb_array_elements(l.reused) as r where l.run_id = %L $$, :'repair_id'),
    format($$ values ('extract'::text, %L::uuid, %L::uuid, repeat('b', 64)) $$, :'extract_artifact', :'run_id'),
    'it reuses the recorded output of extract (with the run that produced it and its digest), not the failed load''s'
);

-- TEST: the repair's executor learns the plan with its lease
select tests.authenticate_as_executor(tests.pool(), tests.workspace_id());
select tests.claim(:'executor_id') as repair_lease \gset
select is(
    (select public.repair_plan(:'repair_lease') - 'reused'),
    jsonb_build_object('run_id', :'repair_id'::uuid, 'parent_run_id', :'run_id'::uuid, 'kind', 'repair', 'from_phase', 'load'),
    'repair_plan names the parent and the first phase to execute'
);

-- TEST: a repair of a repair inherits what its parent reused
select public.start_run(:'repair_lease');
select public.fail_run(:'repair_lease', true, 'ConnectionError', null, null, 'transient', 'load');
select tests.authenticate_as('operator');
select (public.repair_run(:'repair_id', 'load')).id as second_id \gset
select tests.reset_role();
select is(
    (select l.reused -> 0 ->> 'artifact_id' from public.run_lineage as l where l.run_id = :'second_id'),
    :'extract_artifact', 'the output of extract is still the one the first run produced'
);

-- TEST: a phase that did not finish cannot be reused
select tests.authenticate_as('operator');
select throws_ok(
    format($$ select public.repair_run(%L, 'report') $$, :'run_id'),
    'PT409', format('phase load did not finish in run %s, so it cannot be reused', :'run_id'),
    'repairing past an unfinished phase is refused'
);

select * from finish();
rollback;
