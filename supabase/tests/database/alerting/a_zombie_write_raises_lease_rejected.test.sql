begin;
select plan(3);

-- SETUP
select tests.seed();
select * from tests.dead_lease(true) \gset
select public.complete_run(:'lease');
select tests.reset_role();

-- TEST: the refused write of a dead lease raises lease_rejected with the executor
select is(
    (select count(*)::integer from public.alert_signals where alert_signals.run_id = :'run_id' and alert_signals.signal_type = 'lease_rejected'),
    1, 'a write with a dead lease raises one lease_rejected signal'
);
select is(
    (select alert_signals.executor_id from public.alert_signals where alert_signals.run_id = :'run_id' and alert_signals.signal_type = 'lease_rejected'),
    :'executor_id'::uuid, 'the signal names the zombie executor'
);
select is(
    (select alert_signals.payload ->> 'rpc' from public.alert_signals where alert_signals.run_id = :'run_id' and alert_signals.signal_type = 'lease_rejected'),
    'complete_run', 'the payload names the refused RPC'
);

select * from finish();
rollback;
