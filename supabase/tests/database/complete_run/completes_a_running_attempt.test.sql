begin;
select plan(4);

-- SETUP
select tests.seed();
select * from tests.running_attempt() \gset

-- TEST: complete is accepted and the run succeeds
select is(
    (select public.complete_run(:'lease', '{"rows": 10}') ->> 'run_status'),
    'succeeded', 'complete is accepted and the run succeeded'
);

-- TEST: the run is finished, the result stored and every step audited
select tests.reset_role();
select isnt((tests.run(:'run_id')).finished_at, null, 'the run has finished_at');
select is((tests.attempt(:'lease')).result, '{"rows": 10}'::jsonb, 'the result is stored');
select results_eq(
    format($$ select t.to_status from public.run_transitions as t where t.run_id = %L order by t.id $$, :'run_id'),
    $$ values ('queued'::text), ('claimed'::text), ('running'::text), ('succeeded'::text) $$,
    'every step is audited'
);

select * from finish();
rollback;
