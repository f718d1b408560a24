begin;
select plan(2);

-- SETUP
select tests.seed('{"heartbeat_tolerance_seconds": 30}');
select * from tests.claimed_attempt(now() - interval '31 seconds') \gset
select tests.reset_role();

-- TEST: the spec's 30 s tolerance applies
select is((public.requeue_stale_runs(null, tests.workspace_id()) ->> 'requeued')::integer, 1, 'a 30 s tolerance expires after 31 s');

-- TEST: a shorter tolerance is refused
select throws_ok(
    $$ select tests.publish_spec(tests.workspace_id(), 'too-eager', '1', '{"heartbeat_tolerance_seconds": 10}') $$,
    '23514', null, 'a tolerance below 30 s is refused'
);

select * from finish();
rollback;
