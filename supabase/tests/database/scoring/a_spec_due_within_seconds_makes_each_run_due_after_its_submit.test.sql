begin;
select plan(9);

-- SETUP
select tests.seed('{"due_within_seconds": 600}');
select tests.publish_spec(tests.workspace_id(), 'adhoc') as adhoc_spec \gset
select tests.authenticate_as('admin');

-- TEST: publish_spec checks the setting
select throws_ok(
    $$ select public.publish_spec(tests.workspace_id(), 'x', '1', '{"due_within_seconds": 0}') $$,
    '22023', 'invalid pipeline spec: body.due_within_seconds must be a positive number', 'zero is refused'
);
select throws_ok(
    $$ select public.publish_spec(tests.workspace_id(), 'x', '1', '{"due_within_seconds": "1h"}') $$,
    '22023', 'invalid pipeline spec: body.due_within_seconds must be a positive number', 'text is refused'
);
select lives_ok(
    $$ select public.publish_spec(tests.workspace_id(), 'y', '1', '{"due_within_seconds": null}') $$,
    'null means unset'
);

select tests.authenticate_as_service_role();
select
    r.id as derived_run,
    r.due_by as derived_due_by
from public.submit_run(tests.workspace_id(), 'etl', idempotency_key => 'k1', as_of => '2026-11-30 10:00:00+00') as r
\gset

-- TEST: a run of the spec is due due_within_seconds after its submit, and its score counts it
select is(:'derived_due_by'::timestamptz, '2026-11-30 10:10:00+00'::timestamptz, 'due 600 s after the submit');
select is(
    (select e.normalised from public.explain_score(:'derived_run'::uuid, '2026-11-30 10:00:00+00') as e
        where e.factor = 'deadline'),
    1 - 600 / 3600.0::double precision,
    'the deadline factor of the stored score: 1 - 600 s / the 3600 s horizon'
);

-- TEST: a retried submit later is the same request (the due_by counts from the first submit)
select is(
    (select r.id from public.submit_run(tests.workspace_id(), 'etl', idempotency_key => 'k1',
        as_of => '2026-11-30 10:05:00+00') as r),
    :'derived_run'::uuid,
    'the retry answers the first run'
);

-- TEST: the submit's own due_by wins over the spec's
select is(
    (select r.due_by from public.submit_run(tests.workspace_id(), 'etl', due_by => '2026-12-01 00:00:00+00',
        as_of => '2026-11-30 10:00:00+00') as r),
    '2026-12-01 00:00:00+00'::timestamptz,
    'an explicit due_by is kept'
);
select is(
    (select a.run_id is not null from public.submit_runs(tests.workspace_id(),
        '[{"spec_name": "etl", "idempotency_key": "k1", "due_by": "2026-12-01T00:00:00Z"}]') as a
        where a.code = '23505'),
    true,
    'reusing the key with another due_by than the derived one is a conflict'
);

-- TEST: a spec without the setting gives runs without due_by
select is(
    (select r.due_by from public.submit_run(tests.workspace_id(), 'adhoc') as r),
    null,
    'no due_by without the setting'
);

select * from finish();
rollback;
