begin;
select plan(9);

select tests.seed();
select set_config('t.run', tests.submit_run(tests.workspace_id(), 'etl')::text, true);
select set_config('t.lease', tests.claim(tests.executor(tests.workspace_id()))::text, true);
select public.start_run(current_setting('t.lease')::uuid);
select set_config(
    't.prefix', format('s3://controlroom-artifacts/%s/%s/1/', tests.workspace_id(), current_setting('t.run')), true
);

select throws_ok(
    $$ select public.register_artifact(current_setting('t.lease')::uuid, 'extract', 'out.csv', current_setting('t.prefix') || 'extract/out.csv', repeat('a', 64), -1) $$,
    '22023', 'size_bytes must be a non-negative integer', 'a negative size is rejected'
);
select throws_ok(
    $$ select public.register_artifact(current_setting('t.lease')::uuid, 'extract', 'out.csv', current_setting('t.prefix') || 'extract/out.csv', repeat('a', 64), null) $$,
    '22023', 'size_bytes must be a non-negative integer', 'a missing size is rejected'
);
select throws_ok(
    $$ select public.register_artifact(current_setting('t.lease')::uuid, 'ex/tract', 'out.csv', current_setting('t.prefix') || 'ex/tract/out.csv', repeat('a', 64), 1) $$,
    '22023', null, 'a phase that is not one key segment is rejected'
);
select throws_ok(
    $$ select public.register_artifact(current_setting('t.lease')::uuid, 'extract', '../escape', current_setting('t.prefix') || 'extract/../escape', repeat('a', 64), 1) $$,
    '22023', null, 'a name that climbs out of its prefix is rejected'
);
select throws_ok(
    $$ select public.register_artifact(current_setting('t.lease')::uuid, 'extract', 'logs//x', current_setting('t.prefix') || 'extract/logs//x', repeat('a', 64), 1) $$,
    '22023', null, 'a name with an empty segment is rejected'
);
select throws_ok(
    $$ select public.register_artifact(current_setting('t.lease')::uuid, 'extract', repeat('a/', 256) || 'a', current_setting('t.prefix') || 'extract/x', repeat('a', 64), 1) $$,
    '22023', null, 'a name longer than 512 characters is rejected'
);
select throws_ok(
    $$ select public.register_artifact(current_setting('t.lease')::uuid, 'extract', 'out.csv', current_setting('t.prefix') || 'extract/out.csv', repeat('a', 64), 1, '') $$,
    '22023', 'content_type must have 1 to 255 characters', 'an empty content type is rejected'
);
select throws_ok(
    $$ select public.register_artifact(current_setting('t.lease')::uuid, 'extract', 'out.csv', current_setting('t.prefix') || 'extract/out.csv', repeat('a', 64), 1, 'text/csv', '[]') $$,
    '22023', 'lineage must be a JSON object', 'lineage that is not an object is rejected'
);
select throws_ok(
    $$
    select public.register_artifact(
        current_setting('t.lease')::uuid, 'extract', 'out.csv', current_setting('t.prefix') || 'extract/out.csv', repeat('a', 64), 1,
        'text/csv', jsonb_build_object('extra', repeat('x', 70000))
    )
    $$,
    '22023', 'lineage is larger than 64 KiB', 'lineage above 64 KiB is rejected'
);

select * from finish();
rollback;
