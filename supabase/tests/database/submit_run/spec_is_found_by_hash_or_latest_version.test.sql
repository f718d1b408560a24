begin;
select plan(2);

-- SETUP
select tests.seed();
select tests.publish_spec(tests.workspace_id(), 'etl', '2', jsonb_build_object('pool', tests.pool())) as v2 \gset
select tests.authenticate_as('operator');

-- TEST: without a version the latest version runs
select is(
    (select r.spec_id from public.submit_run(tests.workspace_id(), 'etl') as r),
    :'v2'::uuid,
    'without a version the latest published version runs'
);

-- TEST: a hash names exactly one version
select tests.reset_role();
select s.spec_hash as hash from public.pipeline_specs as s where s.id = :'v2' \gset
select tests.authenticate_as('operator');
select is(
    (select r.spec_id from public.submit_run(tests.workspace_id(), spec_hash => :'hash') as r),
    :'v2'::uuid,
    'a hash names exactly one version'
);

select * from finish();
rollback;
