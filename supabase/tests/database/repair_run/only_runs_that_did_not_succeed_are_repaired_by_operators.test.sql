begin;
select plan(5);

-- SETUP
select tests.seed('{"phases": [{"name": "extract"}, {"name": "load"}]}');
select * from tests.running_attempt() \gset
select public.complete_run(:'lease', '{}');
select tests.reset_role();
select tests.submit_run(tests.workspace_id(), 'etl') as queued_id \gset

-- TEST: a succeeded or active run is not repaired; an unknown phase is named
select tests.authenticate_as('operator');
select throws_ok(
    format($$ select public.repair_run(%L, 'load') $$, :'run_id'),
    'PT409', null, 'a succeeded run is not repaired'
);
select throws_ok(
    format($$ select public.repair_run(%L, 'load') $$, :'queued_id'),
    'PT409', null, 'a queued run is not repaired'
);

-- TEST: viewers do not repair or rerun; outsiders do not even see the run
select tests.authenticate_as('viewer');
select throws_ok(
    format($$ select public.rerun_run(%L) $$, :'run_id'),
    '42501', null, 'a viewer does not rerun'
);
select tests.authenticate_as('outsider');
select throws_ok(
    format($$ select public.rerun_run(%L) $$, :'run_id'),
    'PT404', null, 'an outsider gets not found'
);
select tests.clear_authentication();
select throws_ok(
    format($$ select public.rerun_run(%L) $$, :'run_id'),
    '42501', null, 'anon cannot call it'
);

select * from finish();
rollback;
