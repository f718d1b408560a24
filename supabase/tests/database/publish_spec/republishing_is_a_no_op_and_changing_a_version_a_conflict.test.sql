begin;
select plan(3);

select tests.seed();
select tests.authenticate_as_service_role();
select set_config('t.spec', (select s.id from public.publish_spec(tests.workspace_id(), 'load', '1', '{"steps": [1]}') as s)::text, true);

select is(
    (select s.id from public.publish_spec(tests.workspace_id(), 'load', '1', '{"steps": [1]}') as s),
    current_setting('t.spec')::uuid, 'publishing identical content again returns the same version'
);
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
