begin;
select plan(2);

-- SETUP
-- etl@1 with two phases; attempt 1 finishes `extract`, then fails in `load`. Retention then
-- deletes the object of extract's output (artifacts_after_days).
select tests.seed('{"retries": {"max_attempts": 1}, "phases": [{"name": "extract"}, {"name": "load"}]}');
select * from tests.running_attempt() \gset
select public.emit_events(:'lease', '[
    {"seq": 1, "type": "phase.started", "phase": "extract"},
    {"seq": 2, "type": "phase.finished", "phase": "extract", "payload": {"status": "succeeded"}},
    {"seq": 3, "type": "phase.started", "phase": "load"}
]');
select (public.register_artifact(
    :'lease', 'extract', 'result.json',
    format('s3://controlroom-artifacts/%s/%s/1/extract/result.json', tests.workspace_id(), :'run_id'),
    repeat('b', 64), 42
) ->> 'artifact_id') as extract_artifact \gset
select public.fail_run(:'lease', true, 'ConnectionError', null, null, 'transient', 'load');
select tests.reset_role();
select public.set_retention_policy(tests.workspace_id(), artifacts_after_days => 1);
select public.claim_artifact_expiries('test', 10, 60, tests.workspace_id(), now() + interval '2 days') -> 'expiries' -> 0 ->> 'lease_token' as token \gset

-- TEST: while the delete is under way, and after it, the repair is refused (PT409)
select tests.authenticate_as('operator');
select throws_ok(
    format($$ select public.repair_run(%L, 'load') $$, :'run_id'),
    'PT409', format('output extract/result.json of run %s expired under the workspace''s retention policy, so it cannot be reused', :'run_id'),
    'an output being deleted is not reused'
);
select tests.reset_role();
select public.confirm_artifact_expiries(
    jsonb_build_array(jsonb_build_object('artifact_id', :'extract_artifact', 'lease_token', :'token', 'outcome', 'deleted')),
    now() + interval '2 days'
);
select tests.authenticate_as('operator');
select throws_ok(
    format($$ select public.repair_run(%L, 'load') $$, :'run_id'),
    'PT409', null, 'nor one deleted'
);

select * from finish();
rollback;
