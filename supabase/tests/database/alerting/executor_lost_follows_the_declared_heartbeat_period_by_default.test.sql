begin;
select plan(2);

-- SETUP: no executor_lost_seconds in the routing; the executor declares the default 10 s period
select tests.seed();
select tests.publish_routes();
select tests.executor(tests.workspace_id()) as executor_id \gset
select tests.reset_role();

-- TEST: silent for less than three periods is live; for more, lost
select public.sweep_alerts(now() + interval '29 seconds', tests.workspace_id());
select is((select count(*)::integer from public.alert_signals as s where s.executor_id = :'executor_id'), 0,
    'an executor silent for less than three declared periods is not lost');
select public.sweep_alerts(now() + interval '31 seconds', tests.workspace_id());
select is(
    (select s.signal_type from public.alert_signals as s where s.executor_id = :'executor_id'),
    'executor_lost', 'silent for more than three declared periods, it is lost'
);

select * from finish();
rollback;
