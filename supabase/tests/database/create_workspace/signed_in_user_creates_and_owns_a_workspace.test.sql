begin;
select plan(4);

select tests.create_user('founder');
select tests.authenticate_as('founder');
select set_config('t.slug', 'ws-' || gen_random_uuid()::text, true);
select set_config('t.ws', (select w.id from public.create_workspace(current_setting('t.slug'), 'Data team') as w)::text, true);

select is(
    (select m.role from public.workspace_members as m where m.workspace_id = current_setting('t.ws')::uuid),
    'owner', 'the creator is the owner (and can read the membership)'
);
select throws_ok(
    $$ select public.create_workspace(current_setting('t.slug')) $$,
    '23505', null, 'slugs are unique'
);
select throws_ok($$ select public.create_workspace('Not A Slug') $$, '22023', null, 'slugs are validated');
select tests.clear_authentication();
select throws_ok($$ select public.create_workspace('ws-anon') $$, '42501', null, 'anon cannot create workspaces');

select * from finish();
rollback;
