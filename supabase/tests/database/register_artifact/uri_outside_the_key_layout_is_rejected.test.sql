begin;
select plan(10);

-- SETUP
-- Registers out.csv of phase extract at a uri (called as the executor).
create function pg_temp.register(lease uuid, uri text) returns jsonb language sql as $$
    select public.register_artifact(register.lease, 'extract', 'out.csv', register.uri, repeat('a', 64), 1)
$$;
grant execute on function pg_temp.register(uuid, text) to controlroom_executor;
select tests.seed();
select * from tests.running_attempt() \gset
select tests.workspace_id() as ws \gset

-- TEST: only the key layout <bucket>/<workspace>/<run>/<attempt>/<phase>/<name> of the lease is accepted
select throws_ok(
    format($$ select pg_temp.register(%L, %L) $$, :'lease', format('s3://controlroom-artifacts/%s/%s/1/extract/out.csv', tests.other_workspace_id(), :'run_id')),
    '22023', null, 'another workspace''s prefix is rejected'
);
select throws_ok(
    format($$ select pg_temp.register(%L, %L) $$, :'lease', format('s3://controlroom-artifacts/%s/%s/1/extract/out.csv', :'ws', gen_random_uuid())),
    '22023', null, 'another run''s prefix is rejected'
);
select throws_ok(
    format($$ select pg_temp.register(%L, %L) $$, :'lease', format('s3://controlroom-artifacts/%s/%s/2/extract/out.csv', :'ws', :'run_id')),
    '22023', null, 'another attempt''s prefix is rejected'
);
select throws_ok(
    format($$ select pg_temp.register(%L, %L) $$, :'lease', format('s3://controlroom-artifacts/%s/%s/1/load/out.csv', :'ws', :'run_id')),
    '22023', null, 'a uri of another phase is rejected'
);
select throws_ok(
    format($$ select pg_temp.register(%L, %L) $$, :'lease', format('s3://controlroom-artifacts/%s/%s/1/extract/other.csv', :'ws', :'run_id')),
    '22023', null, 'a uri of another name is rejected'
);
select throws_ok(
    format($$ select pg_temp.register(%L, %L) $$, :'lease', format('s3://controlroom-artifacts/x/%s/%s/1/extract/out.csv', :'ws', :'run_id')),
    '22023', null, 'extra folders before the workspace are rejected'
);
select throws_ok(
    format($$ select pg_temp.register(%L, %L) $$, :'lease', format('https://controlroom-artifacts/%s/%s/1/extract/out.csv', :'ws', :'run_id')),
    '22023', null, 'a scheme other than s3 is rejected'
);
select throws_ok(
    format($$ select pg_temp.register(%L, %L) $$, :'lease', format('s3://Bad_Bucket/%s/%s/1/extract/out.csv', :'ws', :'run_id')),
    '22023', null, 'an invalid bucket name is rejected'
);
select throws_ok(
    format($$ select pg_temp.register(%L, %L) $$, :'lease', format('s3:///%s/%s/1/extract/out.csv', :'ws', :'run_id')),
    '22023', null, 'a missing bucket is rejected'
);

-- TEST: nothing is stored
select tests.reset_role();
select is(
    (select count(*)::integer from public.artifacts where artifacts.run_id = :'run_id'),
    0, 'nothing is stored'
);

select * from finish();
rollback;
