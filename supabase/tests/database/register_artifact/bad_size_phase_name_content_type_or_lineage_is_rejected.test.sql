begin;
select plan(9);

-- SETUP
select tests.seed();
select * from tests.running_attempt() \gset
select format('s3://controlroom-artifacts/%s/%s/1/', tests.workspace_id(), :'run_id') as prefix \gset

-- TEST: size, phase, name, content type and lineage are checked
select throws_ok(
    format($$ select public.register_artifact(%1$L, 'extract', 'out.csv', %2$L || 'extract/out.csv', repeat('a', 64), -1) $$, :'lease', :'prefix'),
    '22023', 'size_bytes must be a non-negative integer', 'a negative size is rejected'
);
select throws_ok(
    format($$ select public.register_artifact(%1$L, 'extract', 'out.csv', %2$L || 'extract/out.csv', repeat('a', 64), null) $$, :'lease', :'prefix'),
    '22023', 'size_bytes must be a non-negative integer', 'a missing size is rejected'
);
select throws_ok(
    format($$ select public.register_artifact(%1$L, 'ex/tract', 'out.csv', %2$L || 'ex/tract/out.csv', repeat('a', 64), 1) $$, :'lease', :'prefix'),
    '22023', null, 'a phase that is not one key segment is rejected'
);
select throws_ok(
    format($$ select public.register_artifact(%1$L, 'extract', '../escape', %2$L || 'extract/../escape', repeat('a', 64), 1) $$, :'lease', :'prefix'),
    '22023', null, 'a name that climbs out of its prefix is rejected'
);
select throws_ok(
    format($$ select public.register_artifact(%1$L, 'extract', 'logs//x', %2$L || 'extract/logs//x', repeat('a', 64), 1) $$, :'lease', :'prefix'),
    '22023', null, 'a name with an empty segment is rejected'
);
select throws_ok(
    format($$ select public.register_artifact(%1$L, 'extract', repeat('a/', 256) || 'a', %2$L || 'extract/x', repeat('a', 64), 1) $$, :'lease', :'prefix'),
    '22023', null, 'a name longer than 512 characters is rejected'
);
select throws_ok(
    format($$ select public.register_artifact(%1$L, 'extract', 'out.csv', %2$L || 'extract/out.csv', repeat('a', 64), 1, '') $$, :'lease', :'prefix'),
    '22023', 'content_type must have 1 to 255 characters', 'an empty content type is rejected'
);
select throws_ok(
    format($$ select public.register_artifact(%1$L, 'extract', 'out.csv', %2$L || 'extract/out.csv', repeat('a', 64), 1, 'text/csv', '[]') $$, :'lease', :'prefix'),
    '22023', 'lineage must be a JSON object', 'lineage that is not an object is rejected'
);
select throws_ok(
    format($$
    select public.register_artifact(
        %1$L, 'extract', 'out.csv', %2$L || 'extract/out.csv', repeat('a', 64), 1,
        'text/csv', jsonb_build_object('extra', repeat('x', 70000))
    )
    $$, :'lease', :'prefix'),
    '22023', 'lineage is larger than 64 KiB', 'lineage above 64 KiB is rejected'
);

select * from finish();
rollback;
