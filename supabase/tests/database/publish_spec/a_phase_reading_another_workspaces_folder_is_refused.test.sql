begin;
select plan(8);

-- SETUP
select tests.seed();
select tests.authenticate_as('admin');

-- TEST: the cross-tenant read (issue 12): a sql phase names W2's folder of the bucket
select throws_ok(
    $$ select public.publish_spec(tests.workspace_id(), 'steal', '1', '{"phases": [{"name": "copy", "kind": "sql",
        "inputs": [{"name": "t", "uri": "s3://controlroom-artifacts/0b7e1d2a-5f4c-4d8e-9a1b-2c3d4e5f6a7b/lake/t.csv", "format": "csv"}],
        "query": "select * from t", "output": {"uri": "s3://${run.bucket}/${run.workspace}/loot"}}]}') $$,
    '22023',
    'invalid pipeline spec: phases[0].inputs[0].uri: "s3://controlroom-artifacts/0b7e1d2a-5f4c-4d8e-9a1b-2c3d4e5f6a7b/lake/t.csv" '
    || 'is outside the workspace: dataset URIs must start with s3://${run.bucket}/${run.workspace}/ '
    || '(the run''s bucket and workspace folder), followed by a key',
    'another workspace''s folder is refused, naming the field and the rule'
);
select throws_ok(
    $$ select public.publish_spec(tests.workspace_id(), 'steal', '1', '{"phases": [{"name": "copy", "kind": "sql",
        "inputs": [{"name": "t", "uri": "s3://${run.bucket}/0b7e1d2a-5f4c-4d8e-9a1b-2c3d4e5f6a7b/t", "format": "delta"}],
        "query": "select 1", "output": {"uri": "s3://${run.bucket}/${run.workspace}/loot"}}]}') $$,
    '22023', null, 'the run''s bucket with another workspace''s id is refused'
);

-- TEST: climbing out, escapes and host paths, in every place a phase names a dataset
select throws_ok(
    $$ select public.publish_spec(tests.workspace_id(), 'steal', '1', '{"phases": [{"name": "p", "kind": "python",
        "entrypoint": "m:f", "outputs": [{"name": "o", "uri": "s3://${run.bucket}/${run.workspace}/../w2/o"}]}]}') $$,
    '22023',
    'invalid pipeline spec: phases[0].outputs[0].uri: "s3://${run.bucket}/${run.workspace}/../w2/o" '
    || '''.'' and ''..'' segments are not allowed in dataset URIs',
    'a .. segment is refused'
);
select throws_ok(
    $$ select public.publish_spec(tests.workspace_id(), 'steal', '1', '{"phases": [{"name": "p", "kind": "python",
        "entrypoint": "controlroom.lakehouse.sql_phase:run", "params": {"query": "select 1",
        "output": {"uri": "s3://${run.bucket}/${run.workspace}/%2e%2e/w2/o"}}}]}') $$,
    '22023',
    'invalid pipeline spec: phases[0].params.output.uri: "s3://${run.bucket}/${run.workspace}/%2e%2e/w2/o" '
    || '''%'' and ''\'' are not allowed in dataset URIs (escapes could climb out of the workspace)',
    'a percent escape in a lakehouse entry point''s params is refused'
);
select throws_ok(
    $$ select public.publish_spec(tests.workspace_id(), 'steal', '1', '{"phases": [{"name": "p", "kind": "sql",
        "inputs": [{"name": "ok", "uri": "s3://${run.bucket}/${run.workspace}/fine", "format": "delta"},
                   {"name": "host", "uri": "file:///etc/passwd", "format": "csv"}],
        "query": "select 1", "output": {"uri": "s3://${run.bucket}/${run.workspace}/x"}}]}') $$,
    '22023',
    'invalid pipeline spec: phases[0].inputs[1].uri: "file:///etc/passwd" is a local path: executors are shared, '
    || 'so specs may only use s3:// URIs under s3://${run.bucket}/${run.workspace}/',
    'a host path is refused'
);
select throws_ok(
    $$ select public.publish_spec(tests.workspace_id(), 'steal', '1', '{"phases": [{"name": "p", "kind": "sql",
        "query": "select 1", "output": {"uri": "/tmp/out"}}]}') $$,
    '22023', null, 'a local output is refused'
);
select is(
    (select count(*) from public.pipeline_specs as s where s.name = 'steal'),
    0::bigint,
    'nothing refused was stored'
);

-- TEST: a spec inside its folder publishes
select lives_ok(
    $$ select public.publish_spec(tests.workspace_id(), 'mine', '1', '{"phases": [{"name": "copy", "kind": "sql",
        "inputs": [{"name": "t", "uri": "s3://${run.bucket}/${run.workspace}/lake/t.csv", "format": "csv"}],
        "query": "select * from t", "output": {"uri": "s3://${run.bucket}/${run.workspace}/lake/copy"}}]}') $$,
    'URIs under s3://${run.bucket}/${run.workspace}/ are accepted'
);

select * from finish();
rollback;
