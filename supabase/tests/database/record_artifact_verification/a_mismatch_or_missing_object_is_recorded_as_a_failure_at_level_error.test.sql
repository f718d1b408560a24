begin;
select plan(4);

-- SETUP
select tests.seed();
select * from tests.registered_artifact() \gset

-- TEST: another digest is a mismatch, no digest and no size a missing object
select tests.authenticate_as_service_role();
select is(
    public.record_artifact_verification(:'artifact_id', false, repeat('b', 64), 100) ->> 'status',
    'mismatch', 'another digest is a mismatch'
);
select is(
    public.record_artifact_verification(:'artifact_id', false, null, null) ->> 'status',
    'missing', 'no digest and no size is a missing object'
);

-- TEST: each failure is an error event; the record itself is unchanged
select tests.reset_role();
select results_eq(
    format(
        $$
        select e.type, e.level, e.payload ->> 'status', e.payload ->> 'expected_sha256', e.payload ->> 'actual_sha256', e.payload ->> 'actor'
        from public.run_events as e
        where e.run_id = %L and e.type like 'artifact.verif%%'
        order by e.id
        $$,
        :'run_id'
    ),
    $$
    values
        ('artifact.verification_failed'::text, 'error'::text, 'mismatch'::text, repeat('a', 64), repeat('b', 64), 'service_role'::text),
        ('artifact.verification_failed'::text, 'error'::text, 'missing'::text, repeat('a', 64), null::text, 'service_role'::text)
    $$,
    'each failure is an artifact.verification_failed event at level error with expected vs actual'
);
select is(
    (select count(*)::integer from public.artifacts as a where a.id = :'artifact_id' and a.sha256 = repeat('a', 64)),
    1, 'the record itself is unchanged'
);

select * from finish();
rollback;
