begin;
select plan(9);

-- SETUP: two executors of the pool, one declaring a 10 s period (the default), one 60 s
select tests.seed();
select tests.authenticate_as_executor(tests.pool(), tests.workspace_id());
select x.id as fast_id from public.register_executor() as x \gset
select x.id as slow_id from public.register_executor(heartbeat_seconds => 60) as x \gset
select tests.reset_role();

-- TEST: the declared period is kept (default 10 s)
select results_eq(
    format(
        $$ select heartbeat_seconds from public.executors where id in (%L, %L) order by heartbeat_seconds $$,
        :'fast_id', :'slow_id'
    ),
    $$ values (10::double precision), (60::double precision) $$,
    'register_executor keeps the declared period, 10 s by default'
);

-- TEST: silent for 12 s: healthy within 1.5 periods (15 s), a killed worker is not healthy for minutes
update public.executors set last_seen_at = now() - interval '12 seconds' where id in (:'fast_id', :'slow_id');
select is(
    (select h.health from public.executor_health as h where h.executor_id = :'fast_id'), 'healthy',
    'seen 12 s ago with a 10 s period: healthy'
);
update public.executors set last_seen_at = now() - interval '20 seconds' where id in (:'fast_id', :'slow_id');
select is(
    (select h.health from public.executor_health as h where h.executor_id = :'fast_id'), 'late',
    'seen 20 s ago with a 10 s period: late (one beat missed)'
);
select is(
    (select h.health from public.executor_health as h where h.executor_id = :'slow_id'), 'healthy',
    'seen 20 s ago with a 60 s period: healthy'
);

-- TEST: lost after three periods of silence (was "healthy" for 2 minutes whatever the period)
update public.executors set last_seen_at = now() - interval '31 seconds' where id = :'fast_id';
select is(
    (select h.health from public.executor_health as h where h.executor_id = :'fast_id'), 'lost',
    'seen 31 s ago with a 10 s period: lost'
);

-- TEST: what the executor reported wins while it keeps talking; silence still means lost
update public.executors set last_seen_at = now() where id = :'fast_id';
select tests.authenticate_as_executor(tests.pool(), tests.workspace_id());
select public.report_executor_status(:'fast_id', 'draining');
select tests.reset_role();
select is(
    (select h.health from public.executor_health as h where h.executor_id = :'fast_id'), 'draining',
    'an executor that reported draining and is still seen is draining'
);
update public.executors set last_seen_at = now() - interval '40 seconds' where id = :'fast_id';
select is(
    (select h.health from public.executor_health as h where h.executor_id = :'fast_id'), 'lost',
    'a draining executor that fell silent is lost'
);
select tests.authenticate_as_executor(tests.pool(), tests.workspace_id());
select public.report_executor_status(:'fast_id', 'stopped');
select tests.reset_role();
update public.executors set last_seen_at = now() - interval '1 hour' where id = :'fast_id';
select is(
    (select h.health from public.executor_health as h where h.executor_id = :'fast_id'), 'stopped',
    'a stopped executor stays stopped, however long ago it was seen'
);

-- TEST: the period is bounded
select tests.authenticate_as_executor(tests.pool(), tests.workspace_id());
select throws_ok(
    $$ select public.register_executor(heartbeat_seconds => 0.5) $$,
    '22023', 'heartbeat_seconds must be between 1 and 3600',
    'a period under a second is refused'
);

select * from finish();
rollback;
