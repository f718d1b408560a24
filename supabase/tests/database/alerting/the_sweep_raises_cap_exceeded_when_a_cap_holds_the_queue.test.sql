begin;
select plan(2);

-- SETUP: a live executor, but the workspace may run nothing at once
select tests.seed();
select tests.publish_routes(tests.routes(null, '{"defaults": {"queued_warning_seconds": 120}}'));
select tests.executor(tests.workspace_id());
select tests.reset_role();
insert into public.workspace_limits (workspace_id, max_concurrent_runs, updated_by) values (tests.workspace_id(), 0, 'service_role');
select * from tests.queued_run(now() - interval '10 minutes') \gset
select public.sweep_alerts(now(), tests.workspace_id());

-- TEST: a run held by a cap past the routing's default threshold raises cap_exceeded
select is(
    (select alert_signals.signal_type || ' ' || alert_signals.fingerprint from public.alert_signals where alert_signals.run_id = :'run_id'),
    'cap_exceeded cap_exceeded:pool:' || tests.pool(), 'a cap holding the queue raises cap_exceeded for the pool'
);
select is(
    (select alert_signals.payload ->> 'wait_reason' from public.alert_signals where alert_signals.run_id = :'run_id'),
    'workspace_cap_full', 'the signal names the cap'
);

select * from finish();
rollback;
