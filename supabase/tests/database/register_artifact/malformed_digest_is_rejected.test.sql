begin;
select plan(6);

select tests.seed();
select set_config('t.run', tests.submit_run(tests.workspace_id(), 'etl')::text, true);
select set_config('t.lease', tests.claim(tests.executor(tests.workspace_id()))::text, true);
select public.start_run(current_setting('t.lease')::uuid);
select set_config(
    't.uri', format('s3://controlroom-artifacts/%s/%s/1/extract/out.csv', tests.workspace_id(), current_setting('t.run')), true
);

select throws_ok(
    $$ select public.register_artifact(current_setting('t.lease')::uuid, 'extract', 'out.csv', current_setting('t.uri'), repeat('AB', 32), 1) $$,
    '22023', 'sha256 must be 64 lower-case hex digits', 'an upper-case digest is rejected'
);
select throws_ok(
    $$ select public.register_artifact(current_setting('t.lease')::uuid, 'extract', 'out.csv', current_setting('t.uri'), repeat('a', 63), 1) $$,
    '22023', 'sha256 must be 64 lower-case hex digits', 'a short digest is rejected'
);
select throws_ok(
    $$ select public.register_artifact(current_setting('t.lease')::uuid, 'extract', 'out.csv', current_setting('t.uri'), repeat('g', 64), 1) $$,
    '22023', 'sha256 must be 64 lower-case hex digits', 'a non-hex digest is rejected'
);
select throws_ok(
    $$ select public.register_artifact(current_setting('t.lease')::uuid, 'extract', 'out.csv', current_setting('t.uri'), null, 1) $$,
    '22023', 'sha256 must be 64 lower-case hex digits', 'a missing digest is rejected'
);
select throws_ok(
    $$ select public.register_artifact(current_setting('t.lease')::uuid, 'extract', 'out.csv', current_setting('t.uri'), 'sha256:' || repeat('a', 64), 1) $$,
    '22023', 'sha256 must be 64 lower-case hex digits', 'a prefixed digest is rejected'
);

select tests.reset_role();
select is(
    (select count(*)::integer from public.artifacts where artifacts.run_id = current_setting('t.run')::uuid),
    0, 'nothing is stored'
);

select * from finish();
rollback;
