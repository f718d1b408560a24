begin;
select plan(5);

-- SETUP: a run longer than its warning has an open alert; its attempt is lost, the retry succeeds
select tests.seed('{"alerts": {"duration_warning_seconds": 60}, "heartbeat_tolerance_seconds": 30}');
select tests.publish_routes();
select * from tests.running_attempt(now() - interval '1 hour') \gset
select tests.reset_role();
select public.sweep_alerts(now(), tests.workspace_id());
select is((tests.alert('run_too_long:run:' || :'run_id')).status, 'open', 'run_too_long opened an alert');
select public.requeue_stale_runs(now(), tests.workspace_id());
select tests.authenticate_as_executor(tests.pool(), tests.workspace_id());
select tests.claim(:'executor_id', now() + interval '1 hour') as retry_lease \gset
select public.start_run(:'retry_lease', now() + interval '1 hour');
select public.complete_run(:'retry_lease', null, now() + interval '1 hour');
select tests.reset_role();

-- TEST: the success raises run_recovered with the problem's fingerprint, which resolves the alert
select is(
    (select alert_signals.signal_type from public.alert_signals where alert_signals.fingerprint = 'run_too_long:run:' || :'run_id' and alert_signals.is_recovery),
    'run_recovered', 'the success on a retry raises run_recovered for run_too_long'
);
select is((tests.alert('run_too_long:run:' || :'run_id')).status, 'resolved', 'the alert is resolved');
select is((tests.alert('run_too_long:run:' || :'run_id')).resolved_by, 'system:recovery', 'by the recovery');

-- TEST: whoever was paged hears it is over
select is(
    (select count(*)::integer from public.alert_deliveries
        where alert_deliveries.alert_id = (tests.alert('run_too_long:run:' || :'run_id')).id and alert_deliveries.change = 'resolved'),
    1, 'a resolved notice goes to the targets of the tiers reached'
);

select * from finish();
rollback;
