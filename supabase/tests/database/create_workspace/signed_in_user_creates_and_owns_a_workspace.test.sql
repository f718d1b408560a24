begin;
select plan(4);

-- SETUP
select tests.create_user('founder');
select tests.authenticate_as('founder');
select 'ws-' || gen_random_uuid()::text as slug \gset
select w.id as workspace_id from public.create_workspace(:'slug', 'Data team') as w \gset

-- TEST: the creator owns the workspace
select is(
    (select m.role from public.workspace_members as m where m.workspace_id = :'workspace_id'),
    'owner', 'the creator is the owner (and can read the membership)'
);

-- TEST: slugs are unique and validated
select throws_ok(
    format($$ select public.create_workspace(%L) $$, :'slug'),
    '23505', null, 'slugs are unique'
);
select throws_ok($$ select public.create_workspace('Not A Slug') $$, '22023', null, 'slugs are validated');

-- TEST: anon cannot create workspaces
select tests.clear_authentication();
select throws_ok($$ select public.create_workspace('ws-anon') $$, '42501', null, 'anon cannot create workspaces');

select * from finish();
rollback;
