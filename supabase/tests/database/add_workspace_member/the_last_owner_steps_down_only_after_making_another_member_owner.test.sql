begin;
select plan(6);

select tests.seed();

select tests.authenticate_as('owner');
select throws_ok(
    $$ select public.add_workspace_member(tests.workspace_id(), tests.get_user_id('owner'), 'admin') $$,
    'PT422', null, 'the last owner cannot step down'
);
select is(
    (select m.role from public.add_workspace_member(tests.workspace_id(), tests.get_user_id('admin'), 'owner') as m),
    'owner', 'the owner makes another member owner'
);
select is(
    (select m.role from public.add_workspace_member(tests.workspace_id(), tests.get_user_id('owner'), 'admin') as m),
    'admin', 'then steps down'
);
select throws_ok(
    $$ select public.add_workspace_member(tests.workspace_id(), tests.get_user_id('admin'), 'viewer') $$,
    '42501', 'only owners change the role of an owner', 'the former owner, now an admin, cannot demote the new owner'
);

select tests.authenticate_as('admin');
select throws_ok(
    $$ select public.add_workspace_member(tests.workspace_id(), tests.get_user_id('admin'), 'viewer') $$,
    'PT422', null, 'the new owner is now the last one'
);

select tests.authenticate_as_service_role();
select throws_ok(
    $$ select public.add_workspace_member(tests.workspace_id(), tests.get_user_id('admin'), 'operator') $$,
    'PT422', null, 'the service role cannot take the last owner away either'
);

select * from finish();
rollback;
