begin;
select plan(13);

-- SETUP: an alert with a delivery in the seeded workspace
select tests.seed();
select tests.publish_routes();
select tests.raise_signal();
select (tests.alert()).id as alert_id \gset

-- TEST: members read their workspace's alerting rows; others read nothing
select tests.authenticate_as('viewer');
select is((select count(*)::integer from public.alerts), 1, 'a viewer sees the workspace''s alert');
select is((select count(*)::integer from public.alert_signals), 1, 'a viewer sees its signals');
select is((select count(*)::integer from public.alert_deliveries), 1, 'a viewer sees its deliveries');
select is((select count(*)::integer from public.alert_route_versions), 1, 'a viewer sees the routing versions');
select tests.authenticate_as('outsider');
select is((select count(*)::integer from public.alerts where alerts.id = :'alert_id'), 0, 'an outsider sees no alert of the workspace');
select is((select count(*)::integer from public.alert_changes where alert_changes.alert_id = :'alert_id'), 0, 'nor its audit');
select tests.clear_authentication();
select throws_ok('select count(*) from public.alerts', '42501', null, 'anon cannot read alerts');

-- TEST: nobody writes the tables directly
select tests.authenticate_as('owner');
select throws_ok(format('update public.alerts set status = %L where id = %L', 'resolved', :'alert_id'), '42501', null,
    'not even an owner updates an alert directly');

-- TEST: viewers cannot acknowledge; outsiders do not see the alert; executors are refused
select tests.authenticate_as('viewer');
select throws_ok(format('select public.acknowledge_alert(%L)', :'alert_id'), '42501', null, 'a viewer cannot acknowledge');
select tests.authenticate_as('outsider');
select throws_ok(format('select public.resolve_alert(%L)', :'alert_id'), 'PT404', null, 'an outsider gets not found');
select tests.authenticate_as_executor(tests.pool(), tests.workspace_id());
select throws_ok(format('select public.acknowledge_alert(%L)', :'alert_id'), '42501', null, 'an executor cannot acknowledge');

-- TEST: the dispatcher RPCs are the service role's
select tests.authenticate_as('owner');
select throws_ok('select public.claim_deliveries(''d'')', '42501', null, 'an owner cannot claim deliveries');
select tests.authenticate_as('operator');
select is(public.resolve_alert(:'alert_id', 'done') ->> 'outcome', 'resolved', 'an operator resolves the alert');

select * from finish();
rollback;
