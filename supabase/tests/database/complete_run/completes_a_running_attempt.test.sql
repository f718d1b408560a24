begin;
select plan(4);

select tests.seed();
select set_config('t.run', tests.submit_run(tests.workspace_id(), 'etl')::text, true);
select set_config('t.lease', tests.claim(tests.executor(tests.workspace_id()))::text, true);
select public.start_run(current_setting('t.lease')::uuid);

select is(
    (select public.complete_run(current_setting('t.lease')::uuid, '{"rows": 10}') ->> 'run_status'),
    'succeeded', 'complete is accepted and the run succeeded'
);
select tests.reset_role();
select isnt((tests.run(current_setting('t.run')::uuid)).finished_at, null, 'the run has finished_at');
select is((tests.attempt(current_setting('t.lease')::uuid)).result, '{"rows": 10}'::jsonb, 'the result is stored');
select results_eq(
    $$ select t.to_status from public.run_transitions as t where t.run_id = current_setting('t.run')::uuid order by t.id $$,
    $$ values ('queued'::text), ('claimed'::text), ('running'::text), ('succeeded'::text) $$,
    'every step is audited'
);

select * from finish();
rollback;
