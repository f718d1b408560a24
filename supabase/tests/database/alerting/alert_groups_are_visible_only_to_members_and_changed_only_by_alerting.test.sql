begin;
select plan(6);

-- SETUP: an alert, hence its group, in the seeded workspace
select tests.seed();
select tests.publish_routes();
select tests.raise_signal();
select (tests.alert()).group_id as group_id \gset

-- TEST: members read their workspace's groups; others read nothing
select tests.authenticate_as('viewer');
select is((select count(*)::integer from public.alert_groups where alert_groups.id = :'group_id'), 1,
    'a viewer sees the workspace''s group');
select tests.authenticate_as('outsider');
select is((select count(*)::integer from public.alert_groups where alert_groups.id = :'group_id'), 0,
    'an outsider sees no group of the workspace');
select tests.clear_authentication();
select throws_ok('select count(*) from public.alert_groups', '42501', null, 'anon cannot read groups');
select tests.authenticate_as_executor(tests.pool(), tests.workspace_id());
select throws_ok('select count(*) from public.alert_groups', '42501', null, 'an executor cannot read groups');

-- TEST: nobody writes groups directly
select tests.authenticate_as('owner');
select throws_ok(format('update public.alert_groups set tier = 0 where id = %L', :'group_id'), '42501', null,
    'not even an owner changes a group directly');
select tests.authenticate_as_service_role();
select throws_ok(format('delete from public.alert_groups where id = %L', :'group_id'), '42501', null,
    'nor the service role');

select * from finish();
rollback;
