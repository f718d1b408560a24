begin;
select plan(4);

select tests.seed();

select tests.authenticate_as('admin');
select throws_ok(
    $$ select public.add_workspace_member(tests.workspace_id(), tests.get_user_id('owner'), 'viewer') $$,
    '42501', 'only owners change the role of an owner', 'an admin cannot demote the owner'
);
select throws_ok(
    $$ select public.add_workspace_member(tests.workspace_id(), tests.get_user_id('owner'), 'admin') $$,
    '42501', 'only owners change the role of an owner', 'not even to admin'
);
select throws_ok(
    $$ delete from public.workspace_members where user_id = tests.get_user_id('owner') $$,
    '42501', null, 'an admin cannot remove the owner either: members change only through the RPC'
);

select tests.reset_role();
select is(
    (
        select m.role from public.workspace_members as m
        where m.workspace_id = tests.workspace_id() and m.user_id = tests.get_user_id('owner')
    ),
    'owner', 'the owner is still the owner'
);

select * from finish();
rollback;
