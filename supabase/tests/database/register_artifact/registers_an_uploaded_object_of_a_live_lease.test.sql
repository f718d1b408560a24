begin;
select plan(6);

-- SETUP
select tests.seed();
select * from tests.running_attempt() \gset
select format('s3://controlroom-artifacts/%s/%s/1/extract/data/flights.parquet', tests.workspace_id(), :'run_id') as uri \gset

-- TEST: the record is accepted and the reply describes it
select public.register_artifact(
    lease => :'lease',
    phase => 'extract',
    name => 'data/flights.parquet',
    uri => :'uri',
    sha256 => repeat('ab', 32),
    size_bytes => 1234,
    content_type => 'application/vnd.apache.parquet',
    lineage => '{"spec_hash": "00", "row_count": 10}'
) as reply \gset
select :'reply'::jsonb ->> 'artifact_id' as artifact_id \gset

select is(:'reply'::jsonb ->> 'outcome', 'accepted', 'the record is accepted');
select is(
    :'reply'::jsonb - 'artifact_id',
    jsonb_build_object(
        'outcome', 'accepted',
        'run_id', :'run_id'::text,
        'attempt_id', :'attempt_id'::uuid,
        'phase', 'extract',
        'name', 'data/flights.parquet',
        'uri', :'uri'::text,
        'sha256', repeat('ab', 32),
        'size_bytes', 1234
    ),
    'the reply names the run, attempt, uri, digest and size'
);

-- TEST: one record and one artifact.registered event are stored
select tests.reset_role();
select results_eq(
    format(
        $$
        select a.id::text, a.workspace_id, a.attempt_id, a.sha256, a.size_bytes, a.content_type, a.lineage
        from public.artifacts as a where a.run_id = %L
        $$,
        :'run_id'
    ),
    format(
        $$
        values (
            %L::text, tests.workspace_id(),
            %L::uuid, repeat('ab', 32), 1234::bigint,
            'application/vnd.apache.parquet', '{"spec_hash": "00", "row_count": 10}'::jsonb
        )
        $$,
        :'artifact_id', :'attempt_id'
    ),
    'one record is stored with the attempt, digest, size, content type and lineage'
);
select results_eq(
    format(
        $$
        select e.type, e.level, e.source, e.phase, e.payload ->> 'artifact_id', e.payload ->> 'sha256', e.payload ->> 'size_bytes'
        from public.run_events as e where e.run_id = %L and e.type like 'artifact.%%'
        $$,
        :'run_id'
    ),
    format(
        $$
        values (
            'artifact.registered'::text, 'info'::text, 'system'::text, 'extract'::text,
            %L::text, repeat('ab', 32), '1234'::text
        )
        $$,
        :'artifact_id'
    ),
    'an artifact.registered event carries the digest'
);
select is(
    (select a.created_at from public.artifacts as a where a.run_id = :'run_id'),
    now(), 'created_at is the as_of of the call'
);

-- TEST: an empty object with default content type and lineage is accepted
select tests.authenticate_as_executor(tests.pool(), tests.workspace_id());
select is(
    public.register_artifact(
        lease => :'lease', phase => 'extract', name => 'empty',
        uri => replace(:'uri', 'data/flights.parquet', 'empty'),
        sha256 => 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', size_bytes => 0
    ) ->> 'outcome',
    'accepted', 'an empty object with defaults for content type and lineage is accepted'
);

select * from finish();
rollback;
