begin;
select plan(4);

-- SETUP
select tests.seed();
select * from tests.registered_artifact() \gset

-- TEST: an operator records a matching read-back as ok
select tests.authenticate_as('operator');
select public.record_artifact_verification(:'artifact_id', true, repeat('a', 64), 100) as reply \gset
select is(:'reply'::jsonb ->> 'outcome', 'recorded', 'an operator records a verification');
select is(:'reply'::jsonb ->> 'status', 'ok', 'the status is ok');

-- TEST: an artifact.verified event says what was compared and by whom, and the reply names it
select tests.reset_role();
select results_eq(
    format(
        $$
        select e.type, e.level, e.phase, e.attempt_id, e.payload - 'uri'
        from public.run_events as e
        where e.run_id = %L and e.type like 'artifact.verif%%'
        $$,
        :'run_id'
    ),
    format(
        $$
        values (
            'artifact.verified'::text, 'info'::text, 'extract'::text, %L::uuid,
            jsonb_build_object(
                'artifact_id', %L::text, 'name', 'out.csv', 'status', 'ok',
                'expected_sha256', repeat('a', 64), 'expected_size', 100,
                'actual_sha256', repeat('a', 64), 'actual_size', 100,
                'actor', 'user:' || tests.get_user_id('operator')
            )
        )
        $$,
        :'attempt_id', :'artifact_id'
    ),
    'an artifact.verified event carries expected and actual digest and size and the actor'
);
select is(
    (:'reply'::jsonb ->> 'event_id')::bigint,
    (select e.id from public.run_events as e where e.run_id = :'run_id' and e.type = 'artifact.verified'),
    'the reply names the event'
);

select * from finish();
rollback;
