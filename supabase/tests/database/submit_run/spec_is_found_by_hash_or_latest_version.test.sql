begin;
select plan(2);

select tests.seed();
select set_config('t.v2', tests.publish_spec(tests.workspace_id(), 'etl', '2', jsonb_build_object('pool', tests.pool()))::text, true);
select tests.authenticate_as('operator');

select is(
    (select r.spec_id from public.submit_run(tests.workspace_id(), 'etl') as r),
    current_setting('t.v2')::uuid,
    'without a version the latest published version runs'
);

select tests.reset_role();
select set_config('t.hash', (select s.spec_hash from public.pipeline_specs as s where s.id = current_setting('t.v2')::uuid), true);
select tests.authenticate_as('operator');
select is(
    (select r.spec_id from public.submit_run(tests.workspace_id(), spec_hash => current_setting('t.hash')) as r),
    current_setting('t.v2')::uuid,
    'a hash names exactly one version'
);

select * from finish();
rollback;
