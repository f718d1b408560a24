begin;
select plan(2);

select tests.seed('{"heartbeat_tolerance_seconds": 30}');
select tests.submit_run(tests.workspace_id(), 'etl', 0, now() - interval '2 hours');
select tests.claim(tests.executor(tests.workspace_id()), now() - interval '31 seconds');
select tests.reset_role();

select is((public.requeue_stale_runs() ->> 'requeued')::integer, 1, 'a 30 s tolerance expires after 31 s');
select throws_ok(
    $$ select tests.publish_spec(tests.workspace_id(), 'too-eager', '1', '{"heartbeat_tolerance_seconds": 10}') $$,
    '23514', null, 'a tolerance below 30 s is refused'
);

select * from finish();
rollback;
