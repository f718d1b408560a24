begin;
select plan(10);

select tests.seed();
select set_config('t.run', tests.submit_run(tests.workspace_id(), 'etl')::text, true);
select set_config('t.lease', tests.claim(tests.executor(tests.workspace_id()))::text, true);
select public.start_run(current_setting('t.lease')::uuid);
select set_config('t.ws', tests.workspace_id()::text, true);

create function pg_temp.register(uri text) returns jsonb language sql as $$
    select public.register_artifact(current_setting('t.lease')::uuid, 'extract', 'out.csv', register.uri, repeat('a', 64), 1)
$$;

select throws_ok(
    $$ select pg_temp.register(format('s3://controlroom-artifacts/%s/%s/1/extract/out.csv', tests.other_workspace_id(), current_setting('t.run'))) $$,
    '22023', null, 'another workspace''s prefix is rejected'
);
select throws_ok(
    $$ select pg_temp.register(format('s3://controlroom-artifacts/%s/%s/1/extract/out.csv', current_setting('t.ws'), gen_random_uuid())) $$,
    '22023', null, 'another run''s prefix is rejected'
);
select throws_ok(
    $$ select pg_temp.register(format('s3://controlroom-artifacts/%s/%s/2/extract/out.csv', current_setting('t.ws'), current_setting('t.run'))) $$,
    '22023', null, 'another attempt''s prefix is rejected'
);
select throws_ok(
    $$ select pg_temp.register(format('s3://controlroom-artifacts/%s/%s/1/load/out.csv', current_setting('t.ws'), current_setting('t.run'))) $$,
    '22023', null, 'a uri of another phase is rejected'
);
select throws_ok(
    $$ select pg_temp.register(format('s3://controlroom-artifacts/%s/%s/1/extract/other.csv', current_setting('t.ws'), current_setting('t.run'))) $$,
    '22023', null, 'a uri of another name is rejected'
);
select throws_ok(
    $$ select pg_temp.register(format('s3://controlroom-artifacts/x/%s/%s/1/extract/out.csv', current_setting('t.ws'), current_setting('t.run'))) $$,
    '22023', null, 'extra folders before the workspace are rejected'
);
select throws_ok(
    $$ select pg_temp.register(format('https://controlroom-artifacts/%s/%s/1/extract/out.csv', current_setting('t.ws'), current_setting('t.run'))) $$,
    '22023', null, 'a scheme other than s3 is rejected'
);
select throws_ok(
    $$ select pg_temp.register(format('s3://Bad_Bucket/%s/%s/1/extract/out.csv', current_setting('t.ws'), current_setting('t.run'))) $$,
    '22023', null, 'an invalid bucket name is rejected'
);
select throws_ok(
    $$ select pg_temp.register(format('s3:///%s/%s/1/extract/out.csv', current_setting('t.ws'), current_setting('t.run'))) $$,
    '22023', null, 'a missing bucket is rejected'
);

select tests.reset_role();
select is(
    (select count(*)::integer from public.artifacts where artifacts.run_id = current_setting('t.run')::uuid),
    0, 'nothing is stored'
);

select * from finish();
rollback;
