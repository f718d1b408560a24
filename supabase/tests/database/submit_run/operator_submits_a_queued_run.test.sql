begin;
select plan(6);

-- SETUP
select tests.seed('{"labels": {"gpu": "a100"}}');
select tests.authenticate_as('operator');
select r.id as run_id
from public.submit_run(tests.workspace_id(), 'etl', params => '{"day": "2026-11-26"}', priority => 5) as r \gset
select tests.reset_role();

-- TEST: the run is queued with its params, priority, and the spec's pool and labels
select is((tests.run(:'run_id')).status, 'queued', 'the run is queued');
select is((tests.run(:'run_id')).params, '{"day": "2026-11-26"}'::jsonb, 'params are stored');
select is(
    (tests.run(:'run_id')).score,
    (1005 / 2000.0 * 1000 + 1000 + 0.5 * 100)::double precision,
    'score is the multi-signal score at submit: priority 5, full fair share, unknown duration (default weights)'
);
select is((tests.run(:'run_id')).pool, tests.pool(), 'pool comes from the spec');
select is((tests.run(:'run_id')).required_labels, '{"gpu": "a100"}'::jsonb, 'required labels come from the spec');

-- TEST: the submission is audited with the user as actor
select results_eq(
    format(
        $$
        select t.from_status, t.to_status, t.actor, t.reason
        from public.run_transitions as t where t.run_id = %L
        $$,
        :'run_id'
    ),
    $$ values (null::text, 'queued'::text, 'user:' || tests.get_user_id('operator')::text, 'submitted'::text) $$,
    'the submission is audited with the user as actor'
);

select * from finish();
rollback;
