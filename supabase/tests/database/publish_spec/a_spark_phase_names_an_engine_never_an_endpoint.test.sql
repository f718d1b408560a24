begin;
select plan(5);

-- SETUP
select tests.seed();
select tests.authenticate_as('admin');

-- TEST: a spark phase with a logical engine name (or none: "default") is published
select lives_ok(
    $$ select public.publish_spec(tests.workspace_id(), 'spark-ok', '1', '{"phases": [{"name": "gold", "kind": "spark",
        "engine": {"name": "big-2", "max_rows": 10}, "query": "select 1",
        "output": {"uri": "s3://${run.bucket}/${run.workspace}/gold"}},
        {"name": "silver", "kind": "spark", "query": "select 1",
        "output": {"uri": "s3://${run.bucket}/${run.workspace}/silver"}}]}') $$,
    'a named engine and the default engine are accepted'
);

-- TEST: an endpoint in the spec is refused, naming the rule
select throws_ok(
    $$ select public.publish_spec(tests.workspace_id(), 'spark-url', '1', '{"phases": [{"name": "gold", "kind": "spark",
        "endpoint": "sc://attacker.example:15002", "query": "select 1",
        "output": {"uri": "s3://${run.bucket}/${run.workspace}/gold"}}]}') $$,
    '22023',
    'invalid pipeline spec: a spark phase names a logical engine (engine.name: 1-63 of a-z, 0-9, _ and -), never an '
    || 'endpoint or credentials: the executor''s configuration maps engine names to sc:// URLs',
    'an sc:// endpoint in a spark phase is refused'
);

-- TEST: a URL where the engine name goes is refused
select throws_ok(
    $$ select public.publish_spec(tests.workspace_id(), 'spark-name', '1', '{"phases": [{"name": "gold", "kind": "spark",
        "engine": {"name": "sc://attacker.example:15002"}, "query": "select 1",
        "output": {"uri": "s3://${run.bucket}/${run.workspace}/gold"}}]}') $$,
    '22023', null, 'a URL as engine name is refused'
);

-- TEST: the executor-only credentials flag is refused
select throws_ok(
    $$ select public.publish_spec(tests.workspace_id(), 'spark-creds', '1', '{"phases": [{"name": "gold", "kind": "spark",
        "session_credentials": true, "query": "select 1",
        "output": {"uri": "s3://${run.bucket}/${run.workspace}/gold"}}]}') $$,
    '22023', null, 'session_credentials in a spec is refused'
);

-- TEST: a spark phase's dataset URIs are confined like every phase's
select throws_ok(
    $$ select public.publish_spec(tests.workspace_id(), 'spark-steal', '1', '{"phases": [{"name": "gold", "kind": "spark",
        "inputs": [{"name": "t", "uri": "s3://${run.bucket}/0b7e1d2a-5f4c-4d8e-9a1b-2c3d4e5f6a7b/t", "format": "delta"}],
        "query": "select * from t", "output": {"uri": "s3://${run.bucket}/${run.workspace}/loot"}}]}') $$,
    '22023', null, 'another workspace''s folder as a spark input is refused'
);

select * from finish();
rollback;
