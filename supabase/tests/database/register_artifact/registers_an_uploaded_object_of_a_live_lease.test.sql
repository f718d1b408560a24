begin;
select plan(6);

select tests.seed();
select set_config('t.run', tests.submit_run(tests.workspace_id(), 'etl')::text, true);
select set_config('t.lease', tests.claim(tests.executor(tests.workspace_id()))::text, true);
select public.start_run(current_setting('t.lease')::uuid);
select set_config(
    't.uri',
    format('s3://controlroom-artifacts/%s/%s/1/extract/data/flights.parquet', tests.workspace_id(), current_setting('t.run')),
    true
);

select set_config('t.reply', public.register_artifact(
    lease => current_setting('t.lease')::uuid,
    phase => 'extract',
    name => 'data/flights.parquet',
    uri => current_setting('t.uri'),
    sha256 => repeat('ab', 32),
    size_bytes => 1234,
    content_type => 'application/vnd.apache.parquet',
    lineage => '{"spec_hash": "00", "row_count": 10}'
)::text, true);

select is(current_setting('t.reply')::jsonb ->> 'outcome', 'accepted', 'the record is accepted');
select is(
    current_setting('t.reply')::jsonb - 'artifact_id',
    jsonb_build_object(
        'outcome', 'accepted',
        'run_id', current_setting('t.run'),
        'attempt_id', (tests.attempt(current_setting('t.lease')::uuid)).id,
        'phase', 'extract',
        'name', 'data/flights.parquet',
        'uri', current_setting('t.uri'),
        'sha256', repeat('ab', 32),
        'size_bytes', 1234
    ),
    'the reply names the run, attempt, uri, digest and size'
);

select tests.reset_role();
select results_eq(
    $$
    select a.id::text, a.workspace_id, a.attempt_id, a.sha256, a.size_bytes, a.content_type, a.lineage
    from public.artifacts as a where a.run_id = current_setting('t.run')::uuid
    $$,
    $$
    values (
        current_setting('t.reply')::jsonb ->> 'artifact_id', tests.workspace_id(),
        (tests.attempt(current_setting('t.lease')::uuid)).id, repeat('ab', 32), 1234::bigint,
        'application/vnd.apache.parquet', '{"spec_hash": "00", "row_count": 10}'::jsonb
    )
    $$,
    'one record is stored with the attempt, digest, size, content type and lineage'
);
select results_eq(
    $$
    select e.type, e.level, e.source, e.phase, e.payload ->> 'artifact_id', e.payload ->> 'sha256', e.payload ->> 'size_bytes'
    from public.run_events as e where e.run_id = current_setting('t.run')::uuid and e.type like 'artifact.%'
    $$,
    $$
    values (
        'artifact.registered'::text, 'info'::text, 'system'::text, 'extract'::text,
        current_setting('t.reply')::jsonb ->> 'artifact_id', repeat('ab', 32), '1234'::text
    )
    $$,
    'an artifact.registered event carries the digest'
);
select is(
    (select a.created_at from public.artifacts as a where a.run_id = current_setting('t.run')::uuid),
    now(), 'created_at is the as_of of the call'
);

select tests.authenticate_as_executor(tests.pool(), tests.workspace_id());
select is(
    public.register_artifact(
        lease => current_setting('t.lease')::uuid, phase => 'extract', name => 'empty',
        uri => replace(current_setting('t.uri'), 'data/flights.parquet', 'empty'),
        sha256 => 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', size_bytes => 0
    ) ->> 'outcome',
    'accepted', 'an empty object with defaults for content type and lineage is accepted'
);

select * from finish();
rollback;
