begin;
select plan(4);

-- SETUP
select tests.seed();
select tests.submit_run(tests.workspace_id(), 'etl') as run_id \gset
select (public.rerun_run(:'run_id')).id as rerun_id \gset

-- TEST: members read the lineage of their workspace; others see nothing; nobody writes it
select tests.authenticate_as('viewer');
select is((select count(*)::integer from public.run_lineage), 1, 'a viewer reads it');
select tests.authenticate_as('outsider');
select is((select count(*)::integer from public.run_lineage), 0, 'an outsider reads nothing');
select throws_ok(
    format($$ insert into public.run_lineage (run_id, workspace_id, parent_run_id, kind, created_at, created_by)
        values (%L, %L, %L, 'rerun', now(), 'service_role') $$, :'run_id', tests.workspace_id(), :'rerun_id'),
    '42501', null, 'members do not write it'
);
select tests.clear_authentication();
select throws_ok('select count(*) from public.run_lineage', '42501', null, 'anon does not read it');

select * from finish();
rollback;
