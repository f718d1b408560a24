begin;
select plan(6);

-- SETUP
select tests.seed();
select * from tests.running_attempt() \gset
select format('s3://controlroom-artifacts/%s/%s/1/extract/out.csv', tests.workspace_id(), :'run_id') as uri \gset

-- TEST: the digest must be 64 lower-case hex digits
select throws_ok(
    format($$ select public.register_artifact(%1$L, 'extract', 'out.csv', %2$L, repeat('AB', 32), 1) $$, :'lease', :'uri'),
    '22023', 'sha256 must be 64 lower-case hex digits', 'an upper-case digest is rejected'
);
select throws_ok(
    format($$ select public.register_artifact(%1$L, 'extract', 'out.csv', %2$L, repeat('a', 63), 1) $$, :'lease', :'uri'),
    '22023', 'sha256 must be 64 lower-case hex digits', 'a short digest is rejected'
);
select throws_ok(
    format($$ select public.register_artifact(%1$L, 'extract', 'out.csv', %2$L, repeat('g', 64), 1) $$, :'lease', :'uri'),
    '22023', 'sha256 must be 64 lower-case hex digits', 'a non-hex digest is rejected'
);
select throws_ok(
    format($$ select public.register_artifact(%1$L, 'extract', 'out.csv', %2$L, null, 1) $$, :'lease', :'uri'),
    '22023', 'sha256 must be 64 lower-case hex digits', 'a missing digest is rejected'
);
select throws_ok(
    format($$ select public.register_artifact(%1$L, 'extract', 'out.csv', %2$L, 'sha256:' || repeat('a', 64), 1) $$, :'lease', :'uri'),
    '22023', 'sha256 must be 64 lower-case hex digits', 'a prefixed digest is rejected'
);

-- TEST: nothing is stored
select tests.reset_role();
select is(
    (select count(*)::integer from public.artifacts where artifacts.run_id = :'run_id'),
    0, 'nothing is stored'
);

select * from finish();
rollback;
