begin;
select plan(4);

-- SETUP
select tests.seed();
select tests.create_user('newcomer');

-- TEST: an admin adds members, but only owners grant owner
select tests.authenticate_as('admin');
select is(
    (select m.role from public.add_workspace_member(tests.workspace_id(), tests.get_user_id('newcomer'), 'viewer') as m),
    'viewer', 'an admin adds a viewer'
);
select throws_ok(
    $$ select public.add_workspace_member(tests.workspace_id(), tests.get_user_id('newcomer'), 'owner') $$,
    '42501', null, 'only owners grant owner'
);

-- TEST: a viewer cannot manage members
select tests.authenticate_as('viewer');
select throws_ok(
    $$ select public.add_workspace_member(tests.workspace_id(), tests.get_user_id('newcomer'), 'operator') $$,
    '42501', null, 'a viewer cannot manage members'
);

-- TEST: an unknown user is not found
select tests.authenticate_as('owner');
select throws_ok(
    $$ select public.add_workspace_member(tests.workspace_id(), gen_random_uuid(), 'viewer') $$,
    'PT404', null, 'an unknown user is not found'
);

select * from finish();
rollback;
