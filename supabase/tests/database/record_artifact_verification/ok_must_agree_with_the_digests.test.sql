begin;
select plan(5);

-- SETUP
select tests.seed();
select * from tests.registered_artifact() \gset

-- TEST: ok must agree with the digests, and inputs are checked
select tests.authenticate_as_service_role();
select throws_ok(
    format($$ select public.record_artifact_verification(%L, true, repeat('b', 64), 100) $$, :'artifact_id'),
    '22023', null, 'ok with another digest is refused'
);
select throws_ok(
    format($$ select public.record_artifact_verification(%L, false, repeat('a', 64), 100) $$, :'artifact_id'),
    '22023', null, 'not ok with matching digest and size is refused'
);
select throws_ok(
    format($$ select public.record_artifact_verification(%L, false, 'XYZ', 100) $$, :'artifact_id'),
    '22023', 'actual_sha256 must be 64 lower-case hex digits or null', 'a malformed actual digest is refused'
);
select throws_ok(
    format($$ select public.record_artifact_verification(%L, null, repeat('a', 64), 100) $$, :'artifact_id'),
    '22023', 'ok must be true or false', 'ok is required'
);

-- TEST: nothing is recorded
select tests.reset_role();
select is(
    (
        select count(*)::integer from public.run_events
        where run_events.run_id = :'run_id' and run_events.type like 'artifact.verif%'
    ),
    0, 'nothing is recorded'
);

select * from finish();
rollback;
