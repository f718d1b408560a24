begin;
select plan(3);

-- SETUP
select tests.seed();
select tests.authenticate_as_service_role();
select s.id as spec_id from public.publish_spec(tests.workspace_id(), 'load', '1', '{"steps": [1]}') as s \gset

-- TEST: publishing identical content again is a no-op
select is(
    (select s.id from public.publish_spec(tests.workspace_id(), 'load', '1', '{"steps": [1]}') as s),
    :'spec_id'::uuid, 'publishing identical content again returns the same version'
);

-- TEST: changing a published version is a conflict
select throws_ok(
    $$ select public.publish_spec(tests.workspace_id(), 'load', '1', '{"steps": [2]}') $$,
    '23505', null, 'different content for a published version is a conflict'
);
select throws_ok(
    $$ select public.publish_spec(tests.workspace_id(), 'load', '2', '{"steps": [1]}') $$,
    '23505', null, 'the same body under another version is a conflict'
);

select * from finish();
rollback;
