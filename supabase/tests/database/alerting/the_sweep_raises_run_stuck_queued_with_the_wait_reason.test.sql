begin;
select plan(4);

-- SETUP: no executor of the pool is alive, so the run waits for one
select tests.seed('{"alerts": {"queued_warning_seconds": 300}}');
select tests.publish_routes();
select * from tests.queued_run(now() - interval '10 minutes') \gset
select public.sweep_alerts(now(), tests.workspace_id());

-- TEST: a due run queued past its threshold raises run_stuck_queued for its pool, with the reason
select is(
    (select alert_signals.signal_type || ' ' || alert_signals.fingerprint from public.alert_signals where alert_signals.run_id = :'run_id'),
    'run_stuck_queued run_stuck_queued:pool:' || tests.pool(), 'the sweep raises run_stuck_queued for the pool'
);
select is(
    (select alert_signals.payload ->> 'wait_reason' from public.alert_signals where alert_signals.run_id = :'run_id'),
    'no_live_executor', 'the signal carries the first reason of explain_wait'
);

-- TEST: the condition holding is raised again only after 10 minutes
select public.sweep_alerts(now() + interval '1 minute', tests.workspace_id());
select is((select count(*)::integer from public.alert_signals where alert_signals.signal_type = 'run_stuck_queued'), 1,
    'a holding condition is not raised again within 10 minutes');

-- TEST: once the queue drains, queue_drained resolves its alert
select public.cancel_run(:'run_id', 'not needed');
select public.sweep_alerts(now() + interval '2 minutes', tests.workspace_id());
select is(
    (tests.alert('run_stuck_queued:pool:' || tests.pool())).status, 'resolved',
    'queue_drained resolves the stuck-queue alert when no run waits past its threshold'
);

select * from finish();
rollback;
