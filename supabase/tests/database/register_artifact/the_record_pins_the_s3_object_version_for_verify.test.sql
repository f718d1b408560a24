begin;
select plan(5);

-- SETUP
select tests.seed();
select * from tests.running_attempt() \gset
select format('s3://controlroom-artifacts/%s/%s/1/extract/', tests.workspace_id(), :'run_id') as prefix \gset
-- as the executor: one upload with the version and ETag S3 returned, one without (older clients)
select public.register_artifact(
    lease => :'lease', phase => 'extract', name => 'out.csv', uri => :'prefix' || 'out.csv',
    sha256 => repeat('ab', 32), size_bytes => 12,
    version_id => 'version-1-of-out.csv', etag => '"etag-of-out.csv"'
) ->> 'artifact_id' as artifact_id \gset
select public.register_artifact(
    :'lease', 'extract', 'legacy.csv', :'prefix' || 'legacy.csv', repeat('cd', 32), 3
) ->> 'outcome' as legacy_outcome \gset

-- TEST: empty or oversized version ids are refused
select throws_ok(
    format(
        $$ select public.register_artifact(%L, 'extract', 'x.csv', %L, repeat('ef', 32), 1, version_id => '') $$,
        :'lease', :'prefix' || 'x.csv'
    ),
    '22023', 'version_id and etag must have 1 to 1024 characters when given', 'an empty version id is refused'
);

-- TEST: the version and ETag are stored with the record and named in its event
select tests.reset_role();
select results_eq(
    format('select version_id, etag from public.artifacts where id = %L', :'artifact_id'),
    $$ values ('version-1-of-out.csv'::text, '"etag-of-out.csv"'::text) $$,
    'version_id and etag are recorded'
);
select is(
    (select e.payload ->> 'version_id' from public.run_events as e
     where e.run_id = :'run_id' and e.type = 'artifact.registered' and e.payload ->> 'name' = 'out.csv'),
    'version-1-of-out.csv',
    'the artifact.registered event names the version'
);

-- TEST: clients that do not send them (unversioned buckets, older executors) still register
select is(:'legacy_outcome'::text, 'accepted', 'the old call shape still works');
select is(
    (select a.version_id from public.artifacts as a where a.name = 'legacy.csv' and a.run_id = :'run_id'),
    null::text, 'and records no version'
);

select * from finish();
rollback;
