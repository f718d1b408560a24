begin;
select plan(6);

select tests.seed('{"labels": {"gpu": "a100"}}');
select tests.authenticate_as('operator');

select set_config(
    't.run',
    (select r.id from public.submit_run(tests.workspace_id(), 'etl', params => '{"day": "2026-11-26"}', priority => 5) as r)::text,
    true
);
select tests.reset_role();

select is((tests.run(current_setting('t.run')::uuid)).status, 'queued', 'the run is queued');
select is((tests.run(current_setting('t.run')::uuid)).params, '{"day": "2026-11-26"}'::jsonb, 'params are stored');
select is((tests.run(current_setting('t.run')::uuid)).score, 5::double precision, 'score starts as the priority');
select is((tests.run(current_setting('t.run')::uuid)).pool, tests.pool(), 'pool comes from the spec');
select is((tests.run(current_setting('t.run')::uuid)).required_labels, '{"gpu": "a100"}'::jsonb, 'required labels come from the spec');
select results_eq(
    $$
    select t.from_status, t.to_status, t.actor, t.reason
    from public.run_transitions as t where t.run_id = current_setting('t.run')::uuid
    $$,
    $$ values (null::text, 'queued'::text, 'user:' || tests.get_user_id('operator')::text, 'submitted'::text) $$,
    'the submission is audited with the user as actor'
);

select * from finish();
rollback;
